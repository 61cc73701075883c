using System.Collections.Concurrent;

namespace ProCo.Web.Runs;

/// <summary>Runs training in this process, so a cancel from this process reaches them at once.</summary>
public sealed class ActiveRuns
{
    private readonly ConcurrentDictionary<long, CancellationTokenSource> _running = new();

    public void Register(long runId, CancellationTokenSource cancel) => _running[runId] = cancel;

    public void Unregister(long runId) => _running.TryRemove(runId, out _);

    /// <summary>Cancels the run if it trains here; returns whether it did.</summary>
    public bool TryCancel(long runId)
    {
        if (!_running.TryGetValue(runId, out var cancel)) return false;
        try
        {
            cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        return true;
    }

    public bool IsRunningHere(long runId) => _running.ContainsKey(runId);

    /// <summary>Runs training in this process now.</summary>
    public int Count => _running.Count;
}
