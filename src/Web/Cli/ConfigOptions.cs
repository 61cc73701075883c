using System.CommandLine;
using ProCo.Training.Engine;

namespace ProCo.Web.Cli;

/// <summary>Named options for every field of a <see cref="TrainingConfig"/>, shared by train and bench.</summary>
internal sealed class ConfigOptions
{
    public Option<string?> Preset { get; } = new("--preset") { Description = "Start from a preset: " + string.Join(", ", Presets.All.Select(p => p.Id)) };
    public Option<string?> Dataset { get; } = new("--dataset") { Description = "fashion-mnist, cifar10 or cifar100 (same as the first positional argument)" };
    public Option<double?> Imbalance { get; } = new("--imbalance") { Description = "Imbalance factor: 0.01 (or 100) for imbalance 100" };
    public Option<int?> Epochs { get; } = new("--epochs") { Description = "Epochs (200 as published)" };
    public Option<string?> Method { get; } = new("--method") { Description = "proco (default), la (logit-adjusted CE) or ce (plain CE)" };
    public Option<string?> Profile { get; } = new("--profile") { Description = "Long-tail profile: exp (default) or step" };
    public Option<string?> ClassOrder { get; } = new("--class-order") { Description = "natural (class 0 is the head) or reversed" };
    public Option<int?> MaxPerClass { get; } = new("--max-per-class") { Description = "Cap images per class before the long-tail draw (CPU demos)" };
    public Option<int?> MaxTestPerClass { get; } = new("--max-test-per-class") { Description = "Cap test images per class" };
    public Option<int?> BatchSize { get; } = new("--batch-size") { Description = "Batch size (256)" };
    public Option<double?> LearningRate { get; } = new("--lr") { Description = "Learning rate (0.3)" };
    public Option<double?> Momentum { get; } = new("--momentum") { Description = "SGD momentum (0.9)" };
    public Option<double?> WeightDecay { get; } = new("--weight-decay") { Description = "Weight decay (2e-4)" };
    public Option<int?> Warmup { get; } = new("--warmup") { Description = "Warm-up epochs (5 for 200 epochs, 10 for 400)" };
    public Option<string?> Schedule { get; } = new("--schedule") { Description = "step (published milestones) or cosine" };
    public Option<double?> Alpha { get; } = new("--alpha") { Description = "Weight of the ProCo loss (1)" };
    public Option<double?> Temperature { get; } = new("--temperature") { Description = "Contrastive temperature (0.1)" };
    public Option<double?> Tau { get; } = new("--tau") { Description = "Logit adjustment tau (1)" };
    public Option<int?> FeatDim { get; } = new("--feat-dim") { Description = "Contrastive feature dimension (128)" };
    public Option<bool> UseNorm { get; } = new("--use-norm") { Description = "Cosine classifier (normalised weights, scale 30)" };
    public Option<int?> Depth { get; } = new("--depth") { Description = "ResNet depth 6n+2 (32)" };
    public Option<int?> Width { get; } = new("--width") { Description = "ResNet width multiplier (1)" };
    public Option<int?> Seed { get; } = new("--seed") { Description = "Seed of the subset draw and of training (0)" };
    public Option<string?> Device { get; } = new("--device") { Description = "cpu, cuda or cuda:N" };
    public Option<int?> EvalBatchSize { get; } = new("--eval-batch-size") { Description = "Evaluation batch size (500)" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[]
                 {
                     Preset, Dataset, Imbalance, Epochs, Method, Profile, ClassOrder, MaxPerClass, MaxTestPerClass, BatchSize, LearningRate, Momentum, WeightDecay, Warmup,
                     Schedule, Alpha, Temperature, Tau, FeatDim, UseNorm, Depth, Width, Seed, Device, EvalBatchSize,
                 })
            command.Options.Add(option);
    }

    /// <summary>The preset (or the paper's defaults), overridden by the positional form and each option given.</summary>
    public TrainingConfig Build(ParseResult parse, string? dataset, double? imbalance, int? epochs)
    {
        var presetId = parse.GetValue(Preset);
        var config = presetId is null
            ? new TrainingConfig()
            : Presets.All.FirstOrDefault(p => p.Id == presetId)?.Config
              ?? throw new ArgumentException($"Unknown preset '{presetId}'. Presets: {string.Join(", ", Presets.All.Select(p => p.Id))}.");
        dataset = Either(dataset, parse.GetValue(Dataset), "dataset");
        imbalance = Either(imbalance, parse.GetValue(Imbalance), "imbalance");
        epochs = Either(epochs, parse.GetValue(Epochs), "epochs");
        if (dataset is not null) config = config with { Dataset = dataset };
        if (imbalance is { } f) config = config with { ImbalanceFactor = f > 1 ? 1 / f : f }; // "100" and "0.01" both mean imbalance 100
        if (epochs is { } e) config = config with { Epochs = e };
        return config with
        {
            Method = parse.GetValue(Method) ?? config.Method,
            ImbalanceProfile = parse.GetValue(Profile) ?? config.ImbalanceProfile,
            ClassOrder = parse.GetValue(ClassOrder) ?? config.ClassOrder,
            MaxPerClass = parse.GetValue(MaxPerClass) ?? config.MaxPerClass,
            MaxTestPerClass = parse.GetValue(MaxTestPerClass) ?? config.MaxTestPerClass,
            BatchSize = parse.GetValue(BatchSize) ?? config.BatchSize,
            LearningRate = parse.GetValue(LearningRate) ?? config.LearningRate,
            Momentum = parse.GetValue(Momentum) ?? config.Momentum,
            WeightDecay = parse.GetValue(WeightDecay) ?? config.WeightDecay,
            WarmupEpochs = parse.GetValue(Warmup) ?? config.WarmupEpochs,
            Schedule = parse.GetValue(Schedule) ?? config.Schedule,
            Alpha = parse.GetValue(Alpha) ?? config.Alpha,
            Temperature = parse.GetValue(Temperature) ?? config.Temperature,
            LogitAdjustTau = parse.GetValue(Tau) ?? config.LogitAdjustTau,
            FeatDim = parse.GetValue(FeatDim) ?? config.FeatDim,
            UseNorm = parse.GetValue(UseNorm) || config.UseNorm,
            Depth = parse.GetValue(Depth) ?? config.Depth,
            Width = parse.GetValue(Width) ?? config.Width,
            Seed = parse.GetValue(Seed) ?? config.Seed,
            Device = parse.GetValue(Device) ?? config.Device,
            EvalBatchSize = parse.GetValue(EvalBatchSize) ?? config.EvalBatchSize,
        };
    }

    // A value given both positionally and by name must agree.
    private static T? Either<T>(T? positional, T? named, string name) =>
        positional is not null && named is not null && !EqualityComparer<T>.Default.Equals(positional, named)
            ? throw new ArgumentException($"The {name} is given twice, as '{positional}' and as --{name} '{named}'; give it once.")
            : positional ?? named;
}
