namespace ProCo.Training.Datasets;

/// <summary>Loads a known dataset from where the catalog found it.</summary>
public static class DatasetLoader
{
    /// <summary>Fashion-MNIST class names, in label order.</summary>
    public static readonly IReadOnlyList<string> FashionMnistClasses =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Class names of a dataset key, in label order (empty for an unknown key).</summary>
    public static IReadOnlyList<string> ClassNames(string dataset) => dataset switch
    {
        "fashion-mnist" => FashionMnistClasses,
        "cifar10" => CifarReader.Cifar10Classes,
        "cifar100" => CifarReader.Cifar100Classes,
        _ => [],
    };

    /// <summary>Loads train and test splits, or explains where to put the files.</summary>
    public static DatasetSplits Load(DatasetCatalog catalog, string dataset)
    {
        var status = catalog.Probe(dataset);
        if (!status.Present)
            throw new DatasetMissingException(status);
        return status.Key switch
        {
            "fashion-mnist" => LoadIdx(status.Location!),
            _ => CifarReader.Load(status.Key, status.Location!, status.Format!),
        };
    }

    /// <summary>Fashion-MNIST (or any MNIST-style) IDX files in <paramref name="folder"/>.</summary>
    public static DatasetSplits LoadIdx(string folder)
    {
        ImageDataset Read(string prefix, string split)
        {
            var imagesPath = DatasetCatalog.FindFile(folder, $"{prefix}-images-idx3-ubyte")
                             ?? throw new FileNotFoundException($"{Path.Combine(folder, prefix + "-images-idx3-ubyte(.gz)")} is missing.");
            var labelsPath = DatasetCatalog.FindFile(folder, $"{prefix}-labels-idx1-ubyte")
                             ?? throw new FileNotFoundException($"{Path.Combine(folder, prefix + "-labels-idx1-ubyte(.gz)")} is missing.");
            var (count, rows, columns, pixels) = IdxReader.ReadImages(imagesPath);
            var labels = IdxReader.ReadLabels(labelsPath);
            if (labels.Length != count)
                throw new InvalidDataException($"{labelsPath}: {labels.Length} labels for the {count} images of {imagesPath}.");
            return new ImageDataset($"fashion-mnist {split}", pixels, labels.Select(l => (long)l).ToArray(), 1, rows, columns, FashionMnistClasses);
        }

        return new DatasetSplits(Read("train", "train"), Read("t10k", "test"));
    }
}

/// <summary>A dataset is not on disk; the message says where it was looked for and what to do.</summary>
public sealed class DatasetMissingException(DatasetStatus status)
    : Exception($"Dataset '{status.Key}' is not available. Looked in: {string.Join(", ", status.Searched)}. {status.Advice}")
{
    /// <summary>What the catalog found.</summary>
    public DatasetStatus Status { get; } = status;
}
