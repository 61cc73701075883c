namespace ProCo.Training.Datasets;

/// <summary>
/// An image dataset a researcher registered (<c>proco dataset add</c> or the Datasets page): where
/// its files are and how they split. Stored in the data folder's <c>datasets.json</c>.
/// </summary>
public sealed record RegisteredDataset
{
    /// <summary>The key runs name it by: lower-case letters, digits, '-' and '_'.</summary>
    public required string Name { get; init; }

    /// <summary>The folder image paths are relative to.</summary>
    public required string Root { get; init; }

    /// <summary>imagenet-lt, inat2018, list (list files of one's own) or folder (an ImageFolder tree).</summary>
    public required string Kind { get; init; }

    /// <summary>Training list file (list kinds).</summary>
    public string? TrainList { get; init; }

    /// <summary>Validation list file (list kinds); the model is chosen on it.</summary>
    public string? ValList { get; init; }

    /// <summary>Test list file (list kinds).</summary>
    public string? TestList { get; init; }

    /// <summary>An ImageFolder tree without train/val/test folders: the share of each class held out for validation.</summary>
    public double ValFraction { get; init; } = 0.1;

    /// <summary>An ImageFolder tree without train/val/test folders: the share of each class held out for testing.</summary>
    public double TestFraction { get; init; } = 0.1;

    /// <summary>Seed of the per-class split of an ImageFolder tree without split folders.</summary>
    public int SplitSeed { get; init; }

    /// <summary>When it was registered.</summary>
    public DateTimeOffset AddedAt { get; init; }

    /// <summary>What the last scan found (counts per split, files that could not be read), or null before the first.</summary>
    public DatasetScan? Scan { get; init; }

    /// <summary>
    /// The folders every file of the dataset must lie under, by real path (<c>ProCo:DatasetRoots</c>), or null for
    /// anywhere; the server's setting, not stored with the registration.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<string>? ConfinedTo { get; init; }

    /// <summary>The family's facts, or null for one's own lists and folders.</summary>
    public ImageFamily? Family => ImageFamilies.Find(Kind);

    /// <summary>Whether its folder is on this server, as the catalog reports every dataset.</summary>
    public DatasetStatus Status() =>
        Directory.Exists(Root)
            ? new DatasetStatus(Name, true, Root, Kind, [Root], "")
            : new DatasetStatus(Name, false, null, Kind, [Root], $"The folder {Root} of the registered dataset '{Name}' is missing on this server.");

    /// <summary>Per-channel mean the images are normalised with: the family's, else ImageNet's (as the public ImageNet pipeline).</summary>
    public double[] Mean => Family?.Mean ?? ImageFamilies.ImageNetLt.Mean;

    /// <summary>Per-channel standard deviation: the family's, else ImageNet's.</summary>
    public double[] Std => Family?.Std ?? ImageFamilies.ImageNetLt.Std;
}
