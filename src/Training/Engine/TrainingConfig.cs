using System.Text.Json;
using System.Text.Json.Serialization;
using ProCo.Training.Datasets;

namespace ProCo.Training.Engine;

/// <summary>
/// Everything that defines a training run. Defaults are the published ProCo CIFAR recipe; names
/// follow the public code's arguments where it has them.
/// </summary>
public sealed record TrainingConfig
{
    /// <summary>Methods: ProCo, logit-adjusted CE alone, plain CE.</summary>
    public static readonly IReadOnlyList<string> Methods = ["proco", "la", "ce"];

    /// <summary>Dataset key: fashion-mnist, cifar10 or cifar100.</summary>
    public string Dataset { get; init; } = "cifar100";
    /// <summary>Smallest over largest class count: 0.01 is "imbalance 100"; 1 keeps the dataset balanced.</summary>
    public double ImbalanceFactor { get; init; } = 0.01;
    /// <summary>exp (the CIFAR-LT benchmark) or step.</summary>
    public string ImbalanceProfile { get; init; } = "exp";
    /// <summary>natural (class 0 is the head, as in the CIFAR-LT benchmark) or reversed (the last class is the head).</summary>
    public string ClassOrder { get; init; } = "natural";
    /// <summary>Caps the images per class taken from the training set before the long-tail draw (CPU demos).</summary>
    public int? MaxPerClass { get; init; }
    /// <summary>Caps the test images per class (CPU demos); the test set stays balanced.</summary>
    public int? MaxTestPerClass { get; init; }
    /// <summary>proco, la or ce.</summary>
    public string Method { get; init; } = "proco";
    public int Epochs { get; init; } = 200;
    public int BatchSize { get; init; } = 256;
    public double LearningRate { get; init; } = 0.3;
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 2e-4;
    /// <summary>Linear warm-up epochs; null derives it (5 for 200 epochs, 10 for 400, 2.5% otherwise, at least 1).</summary>
    public int? WarmupEpochs { get; init; }
    /// <summary>step (the published milestones) or cosine.</summary>
    public string Schedule { get; init; } = "step";
    /// <summary>Weight of the ProCo contrastive loss.</summary>
    public double Alpha { get; init; } = 1.0;
    /// <summary>τ of the contrastive logits.</summary>
    public double Temperature { get; init; } = 0.1;
    /// <summary>τ of the logit adjustment (1 as published).</summary>
    public double LogitAdjustTau { get; init; } = 1.0;
    public int FeatDim { get; init; } = 128;
    /// <summary>Cosine classifier (normalised weights, scale 30).</summary>
    public bool UseNorm { get; init; }
    public int Depth { get; init; } = 32;
    /// <summary>Width multiplier of the ResNet (1 = 16/32/64 channels).</summary>
    public int Width { get; init; } = 1;
    public int Seed { get; init; }
    /// <summary>cpu, cuda or cuda:N.</summary>
    public string Device { get; init; } = "cpu";
    /// <summary>Batch size of evaluation passes.</summary>
    public int EvalBatchSize { get; init; } = 500;

    /// <summary>Warm-up epochs actually used.</summary>
    [JsonIgnore]
    public int ResolvedWarmup => WarmupEpochs ?? Epochs switch
    {
        200 => 5,
        400 => 10,
        _ => System.Math.Max(1, (int)System.Math.Round(Epochs / 40.0)),
    };

    /// <summary>Epochs at which the learning rate is multiplied by 0.1 (step schedule).</summary>
    [JsonIgnore]
    public int[] Milestones => Epochs switch
    {
        200 => [160, 180],
        400 => [360, 380],
        _ => [(int)(Epochs * 0.8), (int)(Epochs * 0.9)],
    };

    /// <summary>Field errors keyed by property name; empty when the configuration is valid.</summary>
    public IReadOnlyDictionary<string, string> Validate()
    {
        var errors = new Dictionary<string, string>();
        void Check(bool ok, string field, string message)
        {
            if (!ok) errors.TryAdd(field, message);
        }
        try
        {
            DatasetCatalog.NormalizeKey(Dataset);
        }
        catch (ArgumentException e)
        {
            errors[nameof(Dataset)] = e.Message;
        }
        Check(ImbalanceFactor > 0 && ImbalanceFactor <= 1, nameof(ImbalanceFactor),
            "The imbalance factor is smallest over largest class count, in (0, 1]: 0.01 for imbalance 100.");
        Check(ImbalanceProfile is "exp" or "step", nameof(ImbalanceProfile), "Use exp or step.");
        Check(ClassOrder is "natural" or "reversed", nameof(ClassOrder), "Use natural or reversed.");
        Check(MaxPerClass is null or >= 2, nameof(MaxPerClass), "At least 2 images per class.");
        Check(MaxTestPerClass is null or >= 1, nameof(MaxTestPerClass), "At least 1 test image per class.");
        Check(Methods.Contains(Method), nameof(Method), "Use proco, la or ce.");
        Check(Epochs is >= 1 and <= 10000, nameof(Epochs), "Between 1 and 10000 epochs.");
        Check(BatchSize is >= 2 and <= 65536, nameof(BatchSize), "Between 2 and 65536 (BatchNorm needs at least 2).");
        Check(LearningRate is > 0 and <= 100, nameof(LearningRate), "A positive learning rate up to 100.");
        Check(Momentum is >= 0 and < 1, nameof(Momentum), "Momentum in [0, 1).");
        Check(WeightDecay is >= 0 and < 1, nameof(WeightDecay), "Weight decay in [0, 1).");
        Check(WarmupEpochs is null || (WarmupEpochs >= 0 && WarmupEpochs <= Epochs), nameof(WarmupEpochs), "Warm-up cannot be longer than the run.");
        Check(Schedule is "step" or "cosine", nameof(Schedule), "Use step or cosine.");
        Check(Alpha is >= 0 and <= 100, nameof(Alpha), "Alpha in [0, 100].");
        Check(Temperature is > 0 and <= 100, nameof(Temperature), "A positive temperature.");
        Check(LogitAdjustTau is >= 0 and <= 10, nameof(LogitAdjustTau), "τ in [0, 10].");
        Check(FeatDim is >= 4 and <= 4096, nameof(FeatDim), "Feature dimension between 4 and 4096 (the vMF normaliser needs ν ≥ 1).");
        Check(Depth >= 8 && (Depth - 2) % 6 == 0 && Depth <= 200, nameof(Depth), "A CIFAR ResNet depth 6n+2: 8, 20, 32, 44, 56 ...");
        Check(Width is >= 1 and <= 16, nameof(Width), "Width multiplier between 1 and 16.");
        Check(Seed >= 0, nameof(Seed), "A non-negative seed.");
        Check(Device == "cpu" || Device == "cuda" || (Device.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(Device[5..], out var n) && n >= 0),
            nameof(Device), "cpu, cuda or cuda:N.");
        Check(EvalBatchSize is >= 1 and <= 65536, nameof(EvalBatchSize), "Between 1 and 65536.");
        return errors;
    }

    /// <summary>Throws with every field error when invalid; returns the config with its dataset key normalised.</summary>
    public TrainingConfig Validated()
    {
        var errors = Validate();
        if (errors.Count > 0)
            throw new ArgumentException("Invalid training configuration: " + string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value}")));
        return this with { Dataset = DatasetCatalog.NormalizeKey(Dataset) };
    }

    /// <summary>JSON options used for configs everywhere (camelCase, indented).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static TrainingConfig FromJson(string json) =>
        JsonSerializer.Deserialize<TrainingConfig>(json, Json) ?? throw new ArgumentException("Empty training configuration.");
}
