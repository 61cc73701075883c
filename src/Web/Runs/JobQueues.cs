using ProCo.Training.Datasets;
using ProCo.Training.Engine;

namespace ProCo.Web.Runs;

/// <summary>
/// Which Hangfire queue a run's job waits in: one per device kind and dataset ("gpu-imagenet-lt",
/// "cpu-fashion-mnist"). A worker's job server fetches only from the queues of the kinds it has
/// devices for and the datasets present on its host, so Hangfire hands a run only to a worker that
/// can train it; <see cref="WaitReasons"/> explains a run no worker fetches.
/// </summary>
public static class JobQueues
{
    /// <summary>Runs on the CPU.</summary>
    public const string Cpu = "cpu";

    /// <summary>Runs on a CUDA device.</summary>
    public const string Gpu = "gpu";

    /// <summary>Runs with device auto: every worker takes them, and trains them on a CUDA device when it has one.</summary>
    public const string Any = "any";

    /// <summary>The kind of device a run asks for: <see cref="Gpu"/> for cuda and cuda:N, <see cref="Any"/> for auto, else <see cref="Cpu"/>.</summary>
    public static string KindOf(string device) =>
        device == TrainingDevices.Auto ? Any : TrainingDevices.IsCuda(device) ? Gpu : Cpu;

    /// <summary>The queue of runs of <paramref name="kind"/> on <paramref name="dataset"/> (dataset keys and names are lower-case letters, digits, '-' and '_', as Hangfire's queue names).</summary>
    public static string For(string kind, string dataset) => $"{kind}-{DatasetCatalog.NormalizeName(dataset)}";

    /// <summary>The queue of a run with this configuration.</summary>
    public static string For(TrainingConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return For(KindOf(config.Device), config.Dataset);
    }

    /// <summary>The queue of a stored run, from its stored configuration (so that runs queued by an older version find their queue too).</summary>
    public static string Of(string configJson) => For(TrainingConfig.FromJson(configJson));

    /// <summary>The queues a worker with these device kinds and datasets fetches from: its kinds', and every worker the auto runs'.</summary>
    public static string[] Served(IEnumerable<string> kinds, IEnumerable<string> datasets) =>
        [.. kinds.Append(Any).SelectMany(kind => datasets.Select(dataset => For(kind, dataset))).Distinct().Order(StringComparer.Ordinal)];
}
