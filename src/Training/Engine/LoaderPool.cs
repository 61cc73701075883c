namespace ProCo.Training.Engine;

/// <summary>
/// The loader's own threads (not the thread pool's, which serves the web server too): each lowered
/// behind training (<see cref="LoaderThreadPriority"/>), so decoding takes the time a step leaves idle.
/// </summary>
internal sealed class LoaderPool : IDisposable
{
    private readonly System.Collections.Concurrent.BlockingCollection<Action> _work = [];
    private readonly Thread[] _threads;

    public LoaderPool(int threads)
    {
        _threads = [.. Enumerable.Range(0, Math.Max(1, threads)).Select(i => new Thread(Work) { IsBackground = true, Name = $"proco-loader-{i}" })];
        foreach (var thread in _threads) thread.Start();
    }

    private void Work()
    {
        LoaderThreadPriority.Lower(runsTorch: false);
        foreach (var item in _work.GetConsumingEnumerable()) item();
    }

    /// <summary>Runs <paramref name="body"/> for 0..count−1 on every loader thread and waits; the first error is rethrown as it was.</summary>
    public void For(int count, Action<int> body)
    {
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var next = -1;
        using var done = new CountdownEvent(_threads.Length);
        for (var t = 0; t < _threads.Length; t++)
        {
            _work.Add(() =>
            {
                try
                {
                    int i;
                    while (errors.IsEmpty && (i = Interlocked.Increment(ref next)) < count) body(i);
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                }
                finally
                {
                    done.Signal();
                }
            });
        }
        done.Wait();
        if (errors.TryDequeue(out var first)) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
    }

    public void Dispose()
    {
        _work.CompleteAdding();
        foreach (var thread in _threads) thread.Join();
        _work.Dispose();
    }
}
