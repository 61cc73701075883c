using ProCo.Training;

namespace ProCo.Web.Runs;

/// <summary>
/// What a process that trains offers: its devices (one training at a time on each) and the kinds of
/// runs it takes, from <c>ProCo:Devices</c>, <c>ProCo:Queue</c> and <c>ProCo:Workers</c> (the
/// options of <c>proco worker --devices cuda:0,cuda:1 --queue gpu</c>), checked against the devices
/// this host has.
/// </summary>
public sealed record WorkerDevices(IReadOnlyList<string> Devices, IReadOnlyList<string> Kinds)
{
    /// <summary>Runs this process trains at once: one per device.</summary>
    public int Slots => Devices.Count;

    /// <summary>Reads the options; a device this host lacks or a kind none of its devices serves refuses to start, saying why.</summary>
    public static WorkerDevices Resolve(ProCoOptions options, int? cudaDevices = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var cuda = cudaDevices ?? SafeCudaCount();
        List<string> devices;
        if (string.IsNullOrWhiteSpace(options.Devices))
        {
            devices = cuda > 0
                ? [.. Enumerable.Range(0, options.Workers ?? cuda).Select(i => $"cuda:{i % cuda}")]
                : [.. Enumerable.Repeat("cpu", Math.Max(1, options.Workers ?? 1))];
        }
        else
        {
            devices = [.. options.Devices.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
            foreach (var device in devices)
            {
                if (device == "cpu") continue;
                if (!device.StartsWith("cuda:", StringComparison.Ordinal) || !int.TryParse(device[5..], out var index) || index < 0)
                    throw new StartupRefusedException($"ProCo:Devices names '{device}': devices are cpu or cuda:N, e.g. --devices cuda:0,cuda:1.");
                if (index >= cuda)
                    throw new StartupRefusedException($"ProCo:Devices names {device}, but this host has {(cuda == 0 ? "no CUDA device" : $"{cuda} CUDA device(s): cuda:0 to cuda:{cuda - 1}")}.");
            }
            if (devices.Count == 0) throw new StartupRefusedException("ProCo:Devices is empty: name at least one device (cpu or cuda:N).");
            if (devices.Where(d => d != "cpu").GroupBy(d => d).Any(g => g.Count() > 1))
                throw new StartupRefusedException("ProCo:Devices names a CUDA device twice: one training runs on each device.");
        }
        var hasGpu = devices.Any(d => d != "cpu");
        List<string> kinds;
        if (string.IsNullOrWhiteSpace(options.Queue))
        {
            kinds = hasGpu ? [JobQueues.Gpu, JobQueues.Cpu] : [JobQueues.Cpu];
        }
        else
        {
            kinds = [.. options.Queue.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(k => k.ToLowerInvariant()).Distinct()];
            if (kinds.FirstOrDefault(k => k is not (JobQueues.Gpu or JobQueues.Cpu)) is { } unknown)
                throw new StartupRefusedException($"ProCo:Queue names '{unknown}': the queues are gpu and cpu.");
            if (kinds.Contains(JobQueues.Gpu) && !hasGpu)
                throw new StartupRefusedException("ProCo:Queue asks for gpu runs, but this process has no CUDA device: give it --devices cuda:N.");
        }
        return new WorkerDevices(devices, kinds);
    }

    /// <summary>
    /// CPU threads of one training job: <c>ProCo:TrainingThreads</c>, else the cores shared out among
    /// the jobs that may run at once. More threads than cores is never right here: libtorch splits
    /// every operation evenly between its threads and waits for the last, so a thread that loses its
    /// core to another stalls them all (measured: a bf16 step 1.67 s instead of 1.11 s on two cores
    /// when a third thread prepared batches beside it).
    /// </summary>
    public static int TrainingThreads(ProCoOptions options) =>
        Math.Max(1, options.TrainingThreads ?? Environment.ProcessorCount / Resolve(options).Slots);

    /// <summary>CUDA devices of this host (0 where TorchSharp has no CUDA build or no driver).</summary>
    public static int SafeCudaCount()
    {
        try
        {
            return TorchInfo.CudaDeviceCount;
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException)
        {
            return 0;
        }
    }
}
