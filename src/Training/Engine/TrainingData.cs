using ProCo.Training.Datasets;

namespace ProCo.Training.Engine;

/// <summary>The long-tailed training subset and the balanced test set a configuration asks for.</summary>
/// <param name="Train">Long-tailed training images.</param>
/// <param name="Test">Balanced test images.</param>
public sealed record TrainingData(ImageDataset Train, ImageDataset Test)
{
    /// <summary>Training images per class (what the logit adjustment and the shot split use).</summary>
    public long[] ClassCounts { get; } = Train.ClassCounts();

    /// <summary>Draws the subsets from the full splits: cap per class, long-tail profile, seeded (by the subset seed when given).</summary>
    public static TrainingData Prepare(TrainingConfig config, DatasetSplits splits)
    {
        var train = LongTail.Subset(splits.Train, config.ImbalanceFactor, LongTail.ParseProfile(config.ImbalanceProfile),
            config.SubsetSeed ?? config.Seed, config.MaxPerClass, config.ClassOrder == "reversed", UsesPublicDraw(config));
        var test = config.MaxTestPerClass is { } perClass ? LongTail.Balanced(splits.Test, perClass) : splits.Test;
        if (train.Count < config.BatchSize)
            throw new ArgumentException(
                $"The training subset has {train.Count} images, fewer than one batch of {config.BatchSize}: lower the batch size or raise the images per class.");
        var data = new TrainingData(train, test);
        var empty = Enumerable.Range(0, data.ClassCounts.Length).Where(c => data.ClassCounts[c] == 0).ToArray();
        if (empty.Length > 0)
        {
            var (classes, get, their) = empty.Length == 1 ? ($"Class {empty[0]}", "gets", "its") : ($"Classes {string.Join(", ", empty)}", "get", "their");
            var pool = config.MaxPerClass is { } cap ? $"the {cap} images per class" : "the images";
            throw new ArgumentException($"{classes} {get} no training image: imbalance {1 / config.ImbalanceFactor:0.##} leaves {their} share of {pool} " +
                                        "below one. Raise the images per class or lower the imbalance.");
        }
        return data;
    }

    /// <summary>
    /// True when the subset is drawn as the public ProCo code draws it (numpy, seed 0): CIFAR-10 and
    /// CIFAR-100 in natural class order without a per-class cap, unless a subset seed is asked for.
    /// </summary>
    public static bool UsesPublicDraw(TrainingConfig config) =>
        config.Dataset is "cifar10" or "cifar100" && config.ClassOrder == "natural" && config.MaxPerClass is null && config.SubsetSeed is null;

    /// <summary>Loads the dataset from the catalog and prepares the subsets.</summary>
    public static TrainingData Load(TrainingConfig config, DatasetCatalog catalog) =>
        Prepare(config, DatasetLoader.Load(catalog, config.Dataset));
}
