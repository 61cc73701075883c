
namespace ProCo.Web.Runs;

/// <summary>
/// The devices of this process, each lent to one training at a time: a CUDA run gets a CUDA device,
/// a CPU run a CPU slot (or, on a host with only CUDA devices, one of those as its slot), an auto run
/// a CUDA device when this worker takes CUDA runs, else a CPU slot.
/// </summary>
public sealed class DevicePool(WorkerDevices devices)
{
    private readonly bool[] _busy = new bool[devices.Slots];

    /// <summary>
    /// A device for a run of <paramref name="kind"/> until the lease is disposed; waits while every
    /// fitting device trains (the job server's slot count makes that rare).
    /// </summary>
    public Lease Acquire(string kind, CancellationToken cancellationToken)
    {
        lock (_busy)
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var index = Free(kind);
                if (index >= 0)
                {
                    _busy[index] = true;
                    return new Lease(this, index, devices.Devices[index]);
                }
                // Woken by a release, or every second to see the token.
                Monitor.Wait(_busy, TimeSpan.FromSeconds(1));
            }
        }
    }

    private int Free(string kind)
    {
        if (kind == JobQueues.Any) kind = devices.Kinds.Contains(JobQueues.Gpu) ? JobQueues.Gpu : JobQueues.Cpu;
        var fits = Enumerable.Range(0, _busy.Length).Where(i => !_busy[i]);
        var cuda = fits.Where(i => devices.Devices[i] != "cpu");
        return kind == JobQueues.Gpu
            ? cuda.DefaultIfEmpty(-1).First()
            : fits.Where(i => devices.Devices[i] == "cpu").Concat(cuda).DefaultIfEmpty(-1).First();
    }

    private void Release(int index)
    {
        lock (_busy)
        {
            _busy[index] = false;
            Monitor.PulseAll(_busy);
        }
    }

    /// <summary>One device lent to one training.</summary>
    public sealed class Lease(DevicePool pool, int index, string device) : IDisposable
    {
        private int _released;

        /// <summary>cpu or cuda:N.</summary>
        public string Device { get; } = device;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) pool.Release(index);
        }
    }
}
