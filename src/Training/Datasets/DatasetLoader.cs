namespace ProCo.Training.Datasets;

/// <summary>Loads a known dataset from where the catalog found it.</summary>
public static class DatasetLoader
{
    /// <summary>Class names of a dataset key, in label order (empty for an unknown key).</summary>
    public static IReadOnlyList<string> ClassNames(string dataset) => KnownDatasets.Find(dataset)?.ClassNames ?? [];

    /// <summary>Loads train and test splits, or explains where to put the files.</summary>
    public static DatasetSplits Load(DatasetCatalog catalog, string dataset)
    {
        if (KnownDatasets.Find(dataset) is null)
        {
            var registered = catalog.Registered(dataset)
                             ?? throw new ArgumentException($"Unknown dataset '{dataset}': neither built in ({string.Join(", ", KnownDatasets.All.Select(d => d.Key))}) " +
                                                            "nor registered (proco dataset add NAME PATH).");
            return ImageFileDatasets.Load(registered);
        }
        var status = catalog.Probe(dataset);
        if (!status.Present)
            throw new DatasetMissingException(status);
        return status.Format == "idx" ? LoadIdx(status.Location!) : CifarReader.Load(status.Key, status.Location!, status.Format!);
    }

    /// <summary>Fashion-MNIST IDX files in <paramref name="folder"/>: each split an images file and a labels file.</summary>
    public static DatasetSplits LoadIdx(string folder)
    {
        var info = KnownDatasets.FashionMnist;
        var layout = info.Layouts[0];
        ImageDataset Read(IReadOnlyList<string> files, string split)
        {
            var imagesPath = DatasetCatalog.FindFile(folder, files[0])
                             ?? throw new FileNotFoundException($"{Path.Combine(folder, files[0] + "(.gz)")} is missing.");
            var labelsPath = DatasetCatalog.FindFile(folder, files[1])
                             ?? throw new FileNotFoundException($"{Path.Combine(folder, files[1] + "(.gz)")} is missing.");
            var (count, rows, columns, pixels) = IdxReader.ReadImages(imagesPath);
            var labels = IdxReader.ReadLabels(labelsPath);
            if (labels.Length != count)
                throw new InvalidDataException($"{labelsPath}: {labels.Length} labels for the {count} images of {imagesPath}.");
            return new ImageDataset($"{info.Key} {split}", pixels, labels.Select(l => (long)l).ToArray(), info.Channels, rows, columns, info.ClassNames);
        }

        return new DatasetSplits(Read(layout.TrainFiles, "train"), Read(layout.TestFiles, "test"));
    }
}

/// <summary>A dataset is not on disk; the message says where it was looked for and what to do.</summary>
public sealed class DatasetMissingException(DatasetStatus status)
    : Exception($"Dataset '{status.Key}' is not available. Looked in: {string.Join(", ", status.Searched)}. {status.Advice}")
{
    /// <summary>What the catalog found.</summary>
    public DatasetStatus Status { get; } = status;
}
