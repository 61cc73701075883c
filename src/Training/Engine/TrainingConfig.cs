using System.Text.Json;
using System.Text.Json.Serialization;
using ProCo.Training.Datasets;
using ProCo.Training.Models;

namespace ProCo.Training.Engine;

/// <summary>
/// Everything that defines a training run. Defaults are the published ProCo CIFAR recipe; names
/// follow the public code's arguments where it has them. Each field is described once, by its
/// <see cref="ConfigFieldAttribute"/>: the form, the CLI, the API's field list and
/// <see cref="Validate"/> all read <see cref="ConfigSchema.Fields"/>. Adding a hyperparameter is a
/// property here plus the code that uses it.
/// </summary>
public sealed record TrainingConfig
{
    private const string DepthRule = "A CIFAR ResNet depth 6n+2: 8, 20, 32, 44, 56 ...";

    /// <summary>Dataset key (<see cref="KnownDatasets"/>).</summary>
    [ConfigField("Data", "Dataset", Help = "A dataset key (proco doctor lists them and where they are)")]
    public string Dataset { get; init; } = "cifar100";

    /// <summary>Smallest over largest class count: 0.01 is "imbalance 100"; 1 keeps the dataset balanced.</summary>
    [ConfigField("Data", "Imbalance factor", Option = "imbalance", Help = "0.01 or 100 = imbalance 100", Min = 0, MinExclusive = true, Max = 1,
        Step = 0.01, ReciprocalAboveOne = true,
        Error = "The imbalance is smallest over largest class count, above 0 and at most 1 (0.01), or typed as its factor, 1 or more (100): both mean imbalance 100.")]
    public double ImbalanceFactor { get; init; } = 0.01;

    /// <summary>exp (the CIFAR-LT benchmark) or step.</summary>
    [ConfigField("Data", "Profile", Option = "profile", Help = "Long-tail profile", Choices = ["exp=exponential", "step=step"])]
    public string ImbalanceProfile { get; init; } = "exp";

    /// <summary>natural (class 0 is the head, as in the CIFAR-LT benchmark) or reversed (the last class is the head).</summary>
    [ConfigField("Data", "Head class", Help = "Which end of the label range is the head", Choices = ["natural=first class (benchmark)", "reversed=last class"])]
    public string ClassOrder { get; init; } = "natural";

    /// <summary>Caps the images per class taken from the training set before the long-tail draw (CPU demos).</summary>
    [ConfigField("Data", "Images per class (cap)", Help = "Cap before the long-tail draw (CPU demos)", EmptyMeans = "all", Min = 2,
        Error = "At least 2 images per class.")]
    public int? MaxPerClass { get; init; }

    /// <summary>Caps the test images per class (CPU demos); the test set stays balanced.</summary>
    [ConfigField("Data", "Test images per class (cap)", Help = "The test set stays balanced", EmptyMeans = "all", Min = 1,
        Error = "At least 1 test image per class.")]
    public int? MaxTestPerClass { get; init; }

    /// <summary>
    /// Seed of the long-tailed subset draw alone; null draws with <see cref="Seed"/>, or, for CIFAR-10/100 in natural order
    /// without a cap, keeps the public code's images (numpy's draw with seed 0). Fixes the images while the training seed varies.
    /// </summary>
    [ConfigField("Data", "Subset seed", Help = "Seed of the long-tailed draw alone",
        EmptyMeans = "the run's seed (CIFAR without a cap: the public code's images)", Min = 0,
        Error = "A non-negative subset seed.")]
    public int? SubsetSeed { get; init; }

    /// <summary>Side of the square crops an on-disk image dataset is trained on (224 as published); evaluation resizes the shorter side to 256/224 of it and crops the centre.</summary>
    [ConfigField("Data", "Crop size", Help = "Images on disk: training crops and the evaluation centre crop (224 as published)", Min = 16, Max = 1024,
        Error = "A crop size between 16 and 1024 pixels.")]
    public int CropSize { get; init; } = 224;

    /// <summary>Augmentation of the two contrastive views of an on-disk dataset, as the public ImageNet code's cl_views: sim (SimCLR-style) or rand (sim plus RandAugment).</summary>
    [ConfigField("Data", "Contrastive views", Help = "Images on disk: SimCLR-style views, or with RandAugment on top",
        Choices = ["sim-sim=sim-sim (published)", "sim-rand=sim-rand", "rand-rand=rand-rand"])]
    public string ContrastViews { get; init; } = "sim-sim";

    /// <summary>What an image that cannot be read does to a run: skip it (each one is logged by path) or fail the run.</summary>
    [ConfigField("Data", "Unreadable images", Help = "Images on disk: every skipped file is logged by path",
        Choices = ["skip=skip and log", "fail=fail the run"])]
    public string UnreadableImages { get; init; } = "skip";

    /// <summary>Threads decoding and augmenting the next batches of an on-disk dataset while the current step computes; null uses every core.</summary>
    [ConfigField("Data", "Loader threads", Help = "Images on disk: decoding threads", EmptyMeans = "every core", Min = 1, Max = 256,
        Error = "Between 1 and 256 loader threads.")]
    public int? LoaderThreads { get; init; }

    /// <summary>proco, la or ce.</summary>
    [ConfigField("Method and model", "Method", ChoicesFrom = typeof(TrainingMethods))]
    public string Method { get; init; } = TrainingMethods.ProCo;

    /// <summary>Encoder: the CIFAR ResNet of the public CIFAR code (depth and width apply), or torchvision's ResNet-50 or ResNeXt-50 (32x4d) of its ImageNet code.</summary>
    [ConfigField("Method and model", "Encoder", Help = "ResNet-50 and ResNeXt-50 for ImageNet-size images",
        Choices = ["cifar=CIFAR ResNet (depth 6n+2)", "resnet50=ResNet-50", "resnext50=ResNeXt-50 (32x4d)"])]
    public string Arch { get; init; } = Architectures.Cifar;

    /// <summary>CIFAR ResNet depth (6n+2).</summary>
    [ConfigField("Method and model", "ResNet depth", Help = "CIFAR ResNet: 6n+2: 8, 20, 32, 44, 56 ...", Min = 8, Max = 200, Error = DepthRule)]
    public int Depth { get; init; } = 32;

    /// <summary>Width multiplier of the ResNet (1 = 16/32/64 channels).</summary>
    [ConfigField("Method and model", "Width multiplier", Help = "1 = 16/32/64 channels", Min = 1, Max = 16,
        Error = "Width multiplier between 1 and 16.")]
    public int Width { get; init; } = 1;

    /// <summary>ResNet-50/ResNeXt-50 channel counts divided by this: 1 is torchvision's network; more is for CPU trials and tests.</summary>
    [ConfigField("Method and model", "Width divisor", Help = "ResNet-50/ResNeXt-50: channels ÷ this (1 = torchvision's)", Min = 1, Max = 64,
        Error = "A width divisor of 1, 2, 4, 8, 16, 32 or 64.")]
    public int WidthDivisor { get; init; } = 1;

    /// <summary>Dimension of the contrastive features.</summary>
    [ConfigField("Method and model", "Feature dim", Help = "Contrastive feature dimension", Min = 4, Max = 4096,
        Error = "Feature dimension between 4 and 4096 (the vMF normaliser needs ν ≥ 1).")]
    public int FeatDim { get; init; } = 128;

    /// <summary>
    /// PyTorch weights the network starts from instead of a random initialisation (a state_dict with the public
    /// code's names, or a released checkpoint): a name from the web app's weights library, or a file path for <c>proco train</c>.
    /// </summary>
    [ConfigField("Method and model", "Initial weights", Option = "init-from",
        Help = "PyTorch weights to start from (a state_dict or a released checkpoint)", EmptyMeans = "random initialisation")]
    public string? InitFrom { get; init; }

    /// <summary>Cosine classifier (normalised weights, scale 30).</summary>
    [ConfigField("Method and model", "Cosine classifier", Help = "Normalised weights, scale 30")]
    public bool UseNorm { get; init; }

    /// <summary>Weight of the ProCo contrastive loss.</summary>
    [ConfigField("Method and model", "α (ProCo weight)", Help = "Weight of the ProCo loss", Min = 0, Max = 100, Step = 0.1, Error = "Alpha in [0, 100].")]
    public double Alpha { get; init; } = 1.0;

    /// <summary>τ of the contrastive logits.</summary>
    [ConfigField("Method and model", "Temperature", Help = "Contrastive temperature", Min = 0, MinExclusive = true, Max = 100, Step = 0.01,
        Error = "A positive temperature.")]
    public double Temperature { get; init; } = 0.1;

    /// <summary>τ of the logit adjustment (1 as published).</summary>
    [ConfigField("Method and model", "Logit adjustment τ", Option = "tau", Help = "τ of the logit adjustment", Min = 0, Max = 10, Step = 0.1,
        Error = "τ in [0, 10].")]
    public double LogitAdjustTau { get; init; } = 1.0;

    /// <summary>Epochs of the run.</summary>
    [ConfigField("Optimisation", "Epochs", Help = "200 as published", Min = 1, Max = 10000, Error = "Between 1 and 10000 epochs.")]
    public int Epochs { get; init; } = 200;

    /// <summary>Training batch size.</summary>
    [ConfigField("Optimisation", "Batch size", Min = 2, Max = 65536, Error = "Between 2 and 65536 (BatchNorm needs at least 2).")]
    public int BatchSize { get; init; } = 256;

    /// <summary>
    /// Images per forward/backward pass when the batch does not fit the device at once: gradients of the batch's
    /// micro-batches are accumulated into one optimizer step; the vMF estimators update per micro-batch and view,
    /// and BatchNorm sees each micro-batch alone (32 matches the public ImageNet code's 32 images per GPU). Null: the whole batch.
    /// </summary>
    [ConfigField("Optimisation", "Micro-batch", Help = "Gradient accumulation: images per pass (32 = the public code's per-GPU batch)",
        EmptyMeans = "the whole batch", Min = 2, Max = 65536, Error = "At least 2 images per micro-batch (BatchNorm needs 2).")]
    public int? MicroBatch { get; init; }

    /// <summary>Peak learning rate (after warm-up).</summary>
    [ConfigField("Optimisation", "Learning rate", Option = "lr", Help = "Scaled with the batch size (the ImageNet rows: 0.1 at 256, so 0.05 at 128)",
        Min = 0, MinExclusive = true, Max = 100, Step = 0.01,
        Error = "A positive learning rate up to 100.")]
    public double LearningRate { get; init; } = 0.3;

    /// <summary>Linear warm-up epochs; null derives it (5 for 200 epochs, 10 for 400, 2.5% otherwise, at least 1).</summary>
    [ConfigField("Optimisation", "Warm-up epochs", Option = "warmup", Help = "5 for 200 epochs, 10 for 400", EmptyMeans = "published", Min = 0)]
    public int? WarmupEpochs { get; init; }

    /// <summary>SGD momentum.</summary>
    [ConfigField("Optimisation", "Momentum", Help = "SGD momentum", Min = 0, Max = 1, MaxExclusive = true, Step = 0.05, Error = "Momentum in [0, 1).")]
    public double Momentum { get; init; } = 0.9;

    /// <summary>L2 weight decay of SGD.</summary>
    [ConfigField("Optimisation", "Weight decay", Min = 0, Max = 1, MaxExclusive = true, Step = 0.0001, Error = "Weight decay in [0, 1).")]
    public double WeightDecay { get; init; } = 2e-4;

    /// <summary>step (the published milestones) or cosine.</summary>
    [ConfigField("Optimisation", "Schedule", Help = "Learning-rate schedule", Choices = ["step=step (published)", "cosine=cosine"])]
    public string Schedule { get; init; } = "step";

    /// <summary>Seed of the subset draw and of training.</summary>
    [ConfigField("Optimisation", "Seed", Help = "Seed of the subset draw and of training", Min = 0, Error = "A non-negative seed.")]
    public int Seed { get; init; }

    /// <summary>auto (the first CUDA device where the training process has one, else the CPU), cpu, cuda or cuda:N.</summary>
    [ConfigField("Optimisation", "Device", Help = "auto: the first CUDA device where there is one, else the CPU; or cpu, cuda, cuda:N",
        Error = "auto, cpu, cuda or cuda:N.")]
    public string Device { get; init; } = TrainingDevices.Auto;

    /// <summary>
    /// Arithmetic of the network: fp32 as the public code, bf16 or fp16 mixed precision (float32 master weights, BatchNorm
    /// statistics and optimizer state; float64 vMF terms; fp16 with dynamic loss scaling), or auto: fp32 on the CPU, bf16 on a
    /// GPU that computes it natively (<see cref="PrecisionPlan.Resolve"/>).
    /// </summary>
    [ConfigField("Optimisation", "Precision",
        Help = "fp32 is the public code's arithmetic (the paper's presets); bf16/fp16 are faster where native and do not reproduce " +
               "its numbers exactly; auto: fp32 on the CPU, bf16 on a GPU that computes it natively",
        Choices = ["auto=auto (fp32 on the CPU, bf16 on a recent GPU)", "fp32=fp32 (as the public code: reproduces the paper)", "bf16=bf16 mixed (faster, not exact)",
            "fp16=fp16 mixed (faster, not exact)"])]
    public string Precision { get; init; } = PrecisionPlan.Auto;

    /// <summary>Batch size of evaluation passes.</summary>
    [ConfigField("Optimisation", "Eval batch size", Help = "Batch size of evaluation passes", Min = 1, Max = 65536, Error = "Between 1 and 65536.")]
    public int EvalBatchSize { get; init; } = 500;

    /// <summary>Warm-up epochs actually used: as the public code, 5 for 200 epochs, 10 for 400, else 5E // 200 (none under 40).</summary>
    [JsonIgnore]
    public int ResolvedWarmup => WarmupEpochs ?? Epochs switch
    {
        200 => 5,
        400 => 10,
        _ => 5 * Epochs / 200,
    };

    /// <summary>Epochs from which the learning rate is multiplied by 0.1 (step schedule): as the public code, 0.8E and 0.9E as real numbers.</summary>
    [JsonIgnore]
    public double[] Milestones => Epochs switch
    {
        200 => [160, 180],
        400 => [360, 380],
        _ => [Epochs * 0.8, Epochs * 0.9],
    };

    /// <summary>The device this configuration trains on in this process (<see cref="Device"/> with auto resolved).</summary>
    [JsonIgnore]
    public string ResolvedDevice => TrainingDevices.Resolve(Device);

    /// <summary>True when the dataset is one of the built-in in-memory ones (CIFAR, Fashion-MNIST) rather than a registered image dataset.</summary>
    [JsonIgnore]
    public bool IsBuiltInDataset => KnownDatasets.Find(Dataset) is not null;

    /// <summary>Field errors keyed by property name; empty when the configuration is valid.</summary>
    public IReadOnlyDictionary<string, string> Validate()
    {
        var errors = new Dictionary<string, string>();
        // Ranges and choices, as each field's description states them.
        foreach (var field in ConfigSchema.Fields)
        {
            if (field.Check(field.Get(this)) is { } message) errors[field.Property] = message;
        }
        // Rules a range cannot say.
        void Check(bool ok, string field, string message)
        {
            if (!ok) errors.TryAdd(field, message);
        }
        if (Dataset is not null && KnownDatasets.Find(Dataset) is null && DatasetRegistry.CheckName(Dataset.Trim().ToLowerInvariant()) is not null)
            errors.TryAdd(nameof(Dataset), $"Unknown dataset '{Dataset}'. Known datasets: {string.Join(", ", KnownDatasets.All.Select(d => d.Key))}, " +
                                           "or the name of a registered image dataset (proco dataset list).");
        Check(Architectures.IsTorchvision(Arch ?? "") || (Depth - 2) % 6 == 0, nameof(Depth), DepthRule);
        Check(WidthDivisor > 0 && 64 % WidthDivisor == 0, nameof(WidthDivisor), "A width divisor of 1, 2, 4, 8, 16, 32 or 64.");
        Check(MicroBatch is null || BatchSize % MicroBatch == 0, nameof(MicroBatch), $"The micro-batch must divide the batch size ({BatchSize}).");
        Check(WarmupEpochs is null || WarmupEpochs <= Epochs, nameof(WarmupEpochs), "Warm-up cannot be longer than the run.");
        Check(Device is null || TrainingDevices.IsValid(Device), nameof(Device), "auto, cpu, cuda or cuda:N.");
        return errors;
    }

    /// <summary>Throws with every field error when invalid; returns the config with its dataset key normalised.</summary>
    public TrainingConfig Validated()
    {
        var errors = Validate();
        if (errors.Count > 0)
            throw new ArgumentException("Invalid training configuration: " + string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value}")));
        return this with { Dataset = DatasetCatalog.NormalizeName(Dataset) };
    }

    /// <summary>JSON options used for configs everywhere (camelCase, indented).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static TrainingConfig FromJson(string json) =>
        JsonSerializer.Deserialize<TrainingConfig>(json, Json) ?? throw new ArgumentException("Empty training configuration.");
}
