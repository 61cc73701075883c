using ProCo.Training.Models;

namespace ProCo.Training.Engine;

/// <summary>A named starting configuration.</summary>
public sealed record Preset(string Id, string Title, string Description, TrainingConfig Config);

/// <summary>The paper's CIFAR table, its ImageNet-LT and iNaturalist 2018 rows, and the embedded CPU demo.</summary>
public static class Presets
{
    /// <summary>
    /// Fashion-MNIST-LT at imbalance 100 on a ResNet-8: finishes in well under a minute on two CPU cores
    /// and still shows long-tailed learning (few-shot classes above zero, κ growing with class size).
    /// </summary>
    public static readonly TrainingConfig CpuDemo = new()
    {
        Dataset = "fashion-mnist",
        Precision = PrecisionPlan.Auto,
        ImbalanceFactor = 0.01,
        MaxPerClass = 1000,
        MaxTestPerClass = 200,
        Epochs = 6,
        WarmupEpochs = 1,
        BatchSize = 128,
        LearningRate = 0.1,
        Depth = 8,
        Width = 1,
        EvalBatchSize = 500,
    };

    /// <summary>
    /// The recipe of the public code's ImageNet-LT scripts (sh/ProCo_ImageNetLT_*.sh with ProCo/main.py's defaults):
    /// lr 0.1 for a global batch of 256, weight decay 5e-4, momentum 0.9, cosine schedule without warm-up, temperature
    /// 0.07, 1024-d features, cosine classifier, α 1, LA τ 1, sim-sim contrastive views, 224-pixel crops; the lists
    /// are long-tailed already (imbalance factor 1). In float32, as the public code trains.
    /// </summary>
    public static TrainingConfig ImageNet(string arch, int epochs) => new()
    {
        Precision = PrecisionPlan.Fp32,
        Dataset = "imagenet-lt",
        ImbalanceFactor = 1,
        Arch = arch,
        Epochs = epochs,
        BatchSize = 256,
        MicroBatch = 32,
        LearningRate = 0.1,
        WeightDecay = 5e-4,
        Momentum = 0.9,
        Schedule = "cosine",
        WarmupEpochs = 0,
        Temperature = 0.07,
        FeatDim = 1024,
        UseNorm = true,
        CropSize = 224,
        ContrastViews = "sim-sim",
        EvalBatchSize = 256,
    };

    /// <summary>
    /// All presets: the demo first, then CIFAR-10/100-LT at imbalance 100, 50, 10 for 200 epochs and CIFAR-100-LT 100 for 400,
    /// then the ImageNet-LT and iNaturalist 2018 rows. The paper's rows train in float32 (contiguous layout), as the public
    /// code does; the demo in auto (fp32 on the CPU, bf16 on a recent GPU).
    /// </summary>
    public static IReadOnlyList<Preset> All { get; } = Build();

    private static List<Preset> Build()
    {
        var list = new List<Preset>
        {
            new("cpu-demo", "CPU demo: Fashion-MNIST-LT (imbalance 100)",
                "ResNet-8, 1000 images per class before the long-tail draw, 6 epochs: about 20-60 seconds on two CPU cores.", CpuDemo),
        };
        foreach (var dataset in new[] { "cifar10", "cifar100" })
        {
            foreach (var imbalance in new[] { 100, 50, 10 })
            {
                var name = dataset == "cifar10" ? "CIFAR-10-LT" : "CIFAR-100-LT";
                list.Add(new($"{dataset}-imb{imbalance}-e200", $"{name}, imbalance {imbalance}, 200 epochs",
                    "The paper's recipe: ResNet-32, batch 256, lr 0.3, warm-up 5, x0.1 at 160 and 180, float32 as the public code.",
                    new TrainingConfig { Dataset = dataset, ImbalanceFactor = 1.0 / imbalance, Epochs = 200, Precision = PrecisionPlan.Fp32 }));
            }
        }
        list.Add(new("cifar100-imb100-e400", "CIFAR-100-LT, imbalance 100, 400 epochs",
            "The paper's 400-epoch recipe: warm-up 10, x0.1 at 360 and 380, float32.",
            new TrainingConfig { Dataset = "cifar100", ImbalanceFactor = 0.01, Epochs = 400, Precision = PrecisionPlan.Fp32 }));
        const string OneGpu = "Batch 256 in micro-batches of 32 (the public code's 8 GPUs × 32, on one device).";
        list.Add(new("imagenet-lt-r50-e90", "ImageNet-LT, ResNet-50, 90 epochs",
            $"The public script's row: lr 0.1, weight decay 5e-4, cosine without warm-up, τ 0.07, 1024-d features, cosine classifier, float32. {OneGpu} " +
            "Register the dataset as imagenet-lt first.", ImageNet(Architectures.ResNet50, 90)));
        list.Add(new("imagenet-lt-r50-e180", "ImageNet-LT, ResNet-50, 180 epochs",
            $"As the 90-epoch row, for 180 epochs. {OneGpu}", ImageNet(Architectures.ResNet50, 180)));
        list.Add(new("imagenet-lt-x50-e90", "ImageNet-LT, ResNeXt-50 (32x4d), 90 epochs",
            $"The public script's ResNeXt row: as ResNet-50 at 90 epochs. {OneGpu}", ImageNet(Architectures.ResNeXt50, 90)));
        list.Add(new("inat2018-r50-e90", "iNaturalist 2018, ResNet-50, 90 epochs",
            $"The public script's row: lr 0.2, weight decay 1e-4, cosine without warm-up, τ 0.07, 1024-d features, cosine classifier. {OneGpu} " +
            "Register the dataset as inat2018 first.",
            ImageNet(Architectures.ResNet50, 90) with { Dataset = "inat2018", LearningRate = 0.2, WeightDecay = 1e-4 }));
        return list;
    }
}
