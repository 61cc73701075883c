using ProCo.Web.Hosting;

namespace ProCo.Web.Runs;

/// <summary>The devices of this process, each lent to one training at a time.</summary>
public sealed class DevicePool(WorkerDevices devices) : IDisposable
{
    private readonly bool[] _busy = new bool[devices.Slots];
    private readonly SemaphoreSlim _free = new(devices.Slots, devices.Slots);

    /// <summary>A device to train on, until the lease is disposed (waits while every device trains, which the job server's slot count avoids).</summary>
    public Lease Acquire(CancellationToken cancellationToken)
    {
        _free.Wait(cancellationToken);
        lock (_busy)
        {
            var index = Array.IndexOf(_busy, false);
            _busy[index] = true;
            return new Lease(this, index, devices.Devices[index]);
        }
    }

    public void Dispose() => _free.Dispose();

    private void Release(int index)
    {
        lock (_busy) _busy[index] = false;
        _free.Release();
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
