using System.Diagnostics;
using System.Globalization;
using ProCo.Training.Engine;

namespace ProCo.Web.Runs;

/// <summary>
/// System metrics of a training run, sampled at its steps at most every <see cref="Every"/>: wall
/// time since the run first started (the charts' time axis), the training process's CPU (percent of
/// the host's cores) and resident memory, images per second, and on a CUDA device its utilisation
/// and memory as nvidia-smi reports them (read in the background, so the training thread never waits
/// for it).
/// </summary>
public sealed class SystemSampler : IDisposable
{
    /// <summary>Least time between two samples.</summary>
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(2);

    private readonly int _imagesPerStep;
    private readonly DateTimeOffset _startedAt;
    private readonly Process _process = Process.GetCurrentProcess();
    private readonly GpuProbe? _gpu;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _lastWall;
    private long _lastStep = -1;
    // The baseline of the rates (images/s, CPU): set by a sample, moved on by each rate measured over
    // a second or more, and dropped at an epoch's end so that evaluation time is not counted as training.
    private TimeSpan _rateWall, _rateCpu;
    private long _rateStep = -1;

    /// <summary>Least time a rate is measured over.</summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(1);

    /// <param name="imagesPerStep">Images of one optimisation step (the batch size).</param>
    /// <param name="device">The run's device: cuda or cuda:N adds the GPU series.</param>
    /// <param name="startedAt">When the run first started (kept across resumes).</param>
    public SystemSampler(int imagesPerStep, string device, DateTimeOffset startedAt)
    {
        _imagesPerStep = imagesPerStep;
        _startedAt = startedAt;
        if (device.StartsWith("cuda", StringComparison.Ordinal)) _gpu = GpuProbe.Start(device);
    }

    /// <summary>
    /// The values due at this step, or null when the last sample is younger than <see cref="Every"/>
    /// and <paramref name="always"/> is false (an epoch's last step is sampled always, so that even a
    /// short run has its wall times).
    /// </summary>
    public Dictionary<string, double>? Sample(long globalStep, bool always = false)
    {
        var wall = _clock.Elapsed;
        if (_lastStep >= 0 && (globalStep <= _lastStep || (!always && wall - _lastWall < Every))) return null;
        _process.Refresh();
        var cpu = _process.TotalProcessorTime;
        var values = new Dictionary<string, double>
        {
            [Series.SysElapsed] = (DateTimeOffset.UtcNow - _startedAt).TotalSeconds,
            [Series.SysMemory] = _process.WorkingSet64 / (1024.0 * 1024.0),
        };
        if (_rateStep < 0)
        {
            (_rateWall, _rateCpu, _rateStep) = (wall, cpu, globalStep);
        }
        else if (wall - _rateWall >= RateWindow && globalStep > _rateStep)
        {
            var seconds = (wall - _rateWall).TotalSeconds;
            values[Series.SysCpu] = 100 * (cpu - _rateCpu).TotalSeconds / seconds / Environment.ProcessorCount;
            values[Series.SysImagesPerSecond] = (globalStep - _rateStep) * (double)_imagesPerStep / seconds;
            (_rateWall, _rateCpu, _rateStep) = (wall, cpu, globalStep);
        }
        if (_gpu?.Latest is { } gpu)
        {
            values[Series.SysGpuUtilisation] = gpu.Utilisation;
            values[Series.SysGpuMemory] = gpu.MemoryMiB;
        }
        (_lastWall, _lastStep) = (wall, globalStep);
        return values;
    }

    /// <summary>An epoch ended: evaluation follows, so the next rates start from the next sample.</summary>
    public void Rebase() => _rateStep = -1;

    public void Dispose()
    {
        _gpu?.Dispose();
        _process.Dispose();
    }
}

/// <summary>Utilisation (%) and memory used (MiB) of one GPU.</summary>
public sealed record GpuReading(double Utilisation, double MemoryMiB);

/// <summary>Reads one GPU's utilisation and memory with nvidia-smi every two seconds, in the background.</summary>
public sealed class GpuProbe : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly string _id;
    private volatile GpuReading? _latest;

    private GpuProbe(string id) => _id = id;

    /// <summary>
    /// What nvidia-smi calls the process's cuda:N: with CUDA_VISIBLE_DEVICES set, its N-th entry (an
    /// index or a UUID, both of which nvidia-smi -i takes), else N.
    /// </summary>
    public static string PhysicalId(int index, string? visibleDevices)
    {
        var visible = (visibleDevices ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return index < visible.Length ? visible[index] : index.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The newest reading; null before the first, or when nvidia-smi is not there.</summary>
    public GpuReading? Latest => _latest;

    public static GpuProbe Start(string device)
    {
        var index = device.Length > 5 && int.TryParse(device.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
        var probe = new GpuProbe(PhysicalId(index, Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES")));
        _ = Task.Run(probe.LoopAsync);
        return probe;
    }

    /// <summary>
    /// One line of <c>nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits</c>
    /// ("87, 10240"); null for anything else ("[N/A]" included).
    /// </summary>
    public static GpuReading? Parse(string line)
    {
        var parts = line.Split(',', StringSplitOptions.TrimEntries);
        return parts.Length == 2
               && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var utilisation)
               && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var memory)
            ? new GpuReading(utilisation, memory)
            : null;
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var smi = Process.Start(new ProcessStartInfo("nvidia-smi",
                    ["--query-gpu=utilization.gpu,memory.used", "--format=csv,noheader,nounits", "-i", _id])
                {
                    RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                });
                if (smi is null) return;
                var output = await smi.StandardOutput.ReadToEndAsync(_stop.Token);
                await smi.WaitForExitAsync(_stop.Token);
                _latest = smi.ExitCode == 0 ? Parse(output.Trim()) : null;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return; // no nvidia-smi on this host: no GPU series
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            try
            {
                await Task.Delay(SystemSampler.Every, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
