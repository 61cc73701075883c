using System.Globalization;
using Microsoft.Extensions.Options;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;

namespace ProCo.Web.Runs;

/// <summary>How large a run this server accepts (<c>ProCo:Limits</c>).</summary>
public sealed class TrainingLimitsOptions
{
    public const string Section = "ProCo:Limits";

    /// <summary>Most epochs of one run.</summary>
    public int MaxEpochs { get; set; } = 1000;

    /// <summary>Most trainable parameters of one run's network.</summary>
    public long MaxParameters { get; set; } = 200_000_000;

    /// <summary>Most memory one training step of a CPU run may need; default 60% of this machine's (or container's) memory.</summary>
    public long? MaxCpuStepBytes { get; set; }

    /// <summary>Most memory one training step of a CUDA run may need; default 80 GiB (the largest common card).</summary>
    public long MaxGpuStepBytes { get; set; } = 80L << 30;
}

/// <summary>
/// Refuses, before it is queued, a run this server could not train: more epochs or parameters
/// than allowed, or a step that needs more memory than its device has (<see cref="TrainingBudget"/>).
/// </summary>
public sealed class TrainingLimits(IOptions<TrainingLimitsOptions> options, DatasetCatalog catalog)
{
    private readonly TrainingLimitsOptions _options = options.Value;

    /// <summary>The memory a CPU run's step may use on this machine.</summary>
    public long CpuStepBytes => _options.MaxCpuStepBytes ?? (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * 0.6);

    /// <summary>Field errors (JSON field name → message) of a valid configuration this server will not train.</summary>
    public Dictionary<string, string[]> Check(TrainingConfig config)
    {
        var errors = new Dictionary<string, string[]>();
        if (config.Epochs > _options.MaxEpochs)
            errors[ConfigSchema.Get(nameof(TrainingConfig.Epochs)).Name] =
                [$"At most {_options.MaxEpochs:N0} epochs on this server (ProCo:Limits:MaxEpochs)."];
        // The server's own CPU stands for its CPU workers' (CUDA devices are checked where they train); an auto
        // run is checked as this server would train it.
        if (PrecisionPlan.Unsupported(config.Precision, new TorchSharp.torch.Device(config.ResolvedDevice)) is { } unsupported)
            errors[ConfigSchema.Get(nameof(TrainingConfig.Precision)).Name] = [unsupported];
        TrainingBudget budget;
        if (KnownDatasets.Find(config.Dataset) is { } known)
        {
            budget = TrainingBudget.Of(config, known);
        }
        else if (catalog.Registered(config.Dataset) is { } registered)
        {
            // ImageNet-LT's and iNaturalist's lists are long-tailed already: a further draw is a mistake, not a recipe.
            if (registered.Family is { } family && config.ImbalanceFactor < 1)
                errors[ConfigSchema.Get(nameof(TrainingConfig.ImbalanceFactor)).Name] =
                    [$"{family.Title} is long-tailed as its lists give it: set the imbalance factor to 1 to train on them as published."];
            var classes = registered.Scan?.ClassNames.Count ?? registered.Family?.Classes ?? 1000;
            budget = TrainingBudget.Of(config, 3, config.CropSize, classes);
        }
        else
        {
            errors[ConfigSchema.Get(nameof(TrainingConfig.Dataset)).Name] = [UnknownDataset(config.Dataset)!];
            return errors;
        }
        if (budget.Parameters > _options.MaxParameters)
        {
            errors[ConfigSchema.Get(nameof(TrainingConfig.Width)).Name] =
            [
                $"This network has {budget.Parameters:N0} parameters, more than the {_options.MaxParameters:N0} this server allows " +
                    "(ProCo:Limits:MaxParameters). Lower the depth, width or feature dimension, or raise the width divisor.",
            ];
            return errors;
        }
        var gpu = TrainingDevices.IsCuda(config.ResolvedDevice);
        var allowed = gpu ? _options.MaxGpuStepBytes : CpuStepBytes;
        if (budget.StepBytes > allowed)
            errors[ConfigSchema.Get(nameof(TrainingConfig.BatchSize)).Name] =
            [
                $"A training step would need about {Gib(budget.StepBytes)} ({budget.Parameters:N0} parameters; activations of " +
                    $"{Math.Min(config.BatchSize, config.MicroBatch ?? config.BatchSize):N0} images × {TrainingBudget.ViewsPerImage(config)} views at a time), more than the {Gib(allowed)} a " +
                    $"{(gpu ? "CUDA" : "CPU")} run may use here (ProCo:Limits:{(gpu ? "MaxGpuStepBytes" : "MaxCpuStepBytes")}). " +
                    "Lower the batch size (or train in micro-batches), the width or the depth.",
            ];
        return errors;
    }

    /// <summary>Why <paramref name="dataset"/> names no dataset of this server (neither built in nor registered), or null.</summary>
    public string? UnknownDataset(string? dataset)
    {
        if (dataset is null || KnownDatasets.Find(dataset) is not null || catalog.Registered(dataset) is not null) return null;
        var registered = catalog.Registry?.All() ?? [];
        return $"Unknown dataset '{dataset}': built in are {string.Join(", ", KnownDatasets.All.Select(d => d.Key))}; " +
               (registered.Count > 0 ? $"registered are {string.Join(", ", registered.Select(d => d.Name))}." : "none is registered (proco dataset add, or the Datasets page).");
    }

    private static string Gib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.0} GiB");
}
