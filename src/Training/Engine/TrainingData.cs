using ProCo.Training.Datasets;

namespace ProCo.Training.Engine;

/// <summary>The long-tailed training subset, the balanced test set and, where the dataset has one, the validation set a configuration asks for.</summary>
/// <param name="Train">Long-tailed training images.</param>
/// <param name="Test">Test images: the final evaluation.</param>
/// <param name="Val">Validation images the epoch is chosen on (ImageNet-LT, iNaturalist, one's own); null where the test set serves (CIFAR, as the public code).</param>
public sealed record TrainingData(IImageSplit Train, IImageSplit Test, IImageSplit? Val = null)
{
    /// <summary>The split evaluated after each epoch, whose best top-1 chooses the model: validation where there is one, else test.</summary>
    public IImageSplit Selection => Val ?? Test;

    /// <summary>
    /// For an image dataset on disk, a fingerprint of every file and label of its splits (SHA-256 of the paths and
    /// labels, 16 hex digits): a checkpoint records it, and a run resumes only on the same files. Null for the
    /// built-in datasets, whose subset the class counts identify.
    /// </summary>
    public string? Fingerprint { get; } = FingerprintOf(Train, Test, Val);

    private static string? FingerprintOf(params IImageSplit?[] splits)
    {
        if (!splits.Any(s => s is ImageFileSplit)) return null;
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var split in splits)
        {
            if (split is not ImageFileSplit files)
            {
                hash.AppendData("-\n"u8);
                continue;
            }
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{files.Root}\n{files.Count}\n"));
            for (var i = 0; i < files.Count; i++) hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{files.Paths[i]}\t{files.Labels[i]}\n"));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    /// <summary>Training images per class (what the logit adjustment and the shot split use).</summary>
    public long[] ClassCounts { get; } = Train.ClassCounts();

    /// <summary>Draws the subsets from the full splits: cap per class, long-tail profile, seeded (by the subset seed when given).</summary>
    public static TrainingData Prepare(TrainingConfig config, DatasetSplits splits)
    {
        var profile = LongTail.ParseProfile(config.ImbalanceProfile);
        var seed = config.SubsetSeed ?? config.Seed;
        var reversed = config.ClassOrder == "reversed";
        // A dataset on disk is trained as its lists or folders give it (ImageNet-LT and iNaturalist are long-tailed
        // already) unless an imbalance or a cap asks for a subset of it.
        var draw = config.ImbalanceFactor < 1 || config.MaxPerClass is not null || splits.Train is ImageDataset;
        var train = !draw ? splits.Train : splits.Train switch
        {
            ImageDataset images => LongTail.Subset(images, config.ImbalanceFactor, profile, seed, config.MaxPerClass, reversed, UsesPublicDraw(config)),
            ImageFileSplit files => LongTail.Subset(files, config.ImbalanceFactor, profile, seed, config.MaxPerClass, reversed),
            var other => throw new ArgumentException($"{other.Name}: no long-tail draw for this kind of split."),
        };
        IImageSplit Capped(IImageSplit split) => config.MaxTestPerClass is not { } perClass ? split : split switch
        {
            ImageDataset images => LongTail.Balanced(images, perClass),
            ImageFileSplit files => LongTail.Balanced(files, perClass),
            _ => split,
        };
        var test = Capped(splits.Test);
        var val = splits.Val is { } v ? Capped(v) : null;
        if (train.Count < config.BatchSize)
            throw new ArgumentException(
                $"The training subset has {train.Count} images, fewer than one batch of {config.BatchSize}: lower the batch size or raise the images per class.");
        var data = new TrainingData(train, test, val);
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
