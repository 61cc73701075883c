namespace ProCo.Training.Datasets;

/// <summary>What a scan of a registered dataset found.</summary>
/// <param name="Splits">Images per class of each split present (train, val, test).</param>
/// <param name="ClassNames">Class names in label order.</param>
/// <param name="Unreadable">Files that are missing or could not be decoded, by path, with the reason.</param>
/// <param name="Decoded">True when every image was decoded (<c>proco dataset verify</c>), not only checked to exist.</param>
/// <param name="ScannedAt">When.</param>
public sealed record DatasetScan(IReadOnlyDictionary<string, long[]> Splits, IReadOnlyList<string> ClassNames,
    IReadOnlyList<UnreadableImage> Unreadable, bool Decoded, DateTimeOffset ScannedAt);
