namespace ProCo.Training.Engine;

/// <summary>A named starting configuration.</summary>
public sealed record Preset(string Id, string Title, string Description, TrainingConfig Config);

/// <summary>The paper's CIFAR table and the embedded CPU demo.</summary>
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

    /// <summary>All presets: the demo first, then CIFAR-10/100-LT at imbalance 100, 50, 10 for 200 epochs and CIFAR-100-LT 100 for 400.</summary>
    public static IReadOnlyList<Preset> All { get; } = Build();

    private static List<Preset> Build()
    {
        var list = new List<Preset>
        {
            new("cpu-demo", "CPU demo: Fashion-MNIST-LT (imbalance 100)",
                "ResNet-8, 1000 images per class before the long-tail draw, 6 epochs: about 20 seconds on two CPU cores (bf16 where the CPU has it).", CpuDemo),
        };
        foreach (var dataset in new[] { "cifar10", "cifar100" })
        {
            foreach (var imbalance in new[] { 100, 50, 10 })
            {
                var name = dataset == "cifar10" ? "CIFAR-10-LT" : "CIFAR-100-LT";
                list.Add(new($"{dataset}-imb{imbalance}-e200", $"{name}, imbalance {imbalance}, 200 epochs",
                    "The paper's recipe: ResNet-32, batch 256, lr 0.3, warm-up 5, x0.1 at 160 and 180.",
                    new TrainingConfig { Dataset = dataset, ImbalanceFactor = 1.0 / imbalance, Epochs = 200 }));
            }
        }
        list.Add(new("cifar100-imb100-e400", "CIFAR-100-LT, imbalance 100, 400 epochs",
            "The paper's 400-epoch recipe: warm-up 10, x0.1 at 360 and 380.",
            new TrainingConfig { Dataset = "cifar100", ImbalanceFactor = 0.01, Epochs = 400 }));
        return list;
    }
}
