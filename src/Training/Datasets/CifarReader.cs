namespace ProCo.Training.Datasets;

/// <summary>CIFAR-10 and CIFAR-100 from the binary or the python distribution.</summary>
public static class CifarReader
{
    private const int ImageBytes = 3 * 32 * 32;

    /// <summary>Loads train and test splits from a folder in the given format (binary or python).</summary>
    public static DatasetSplits Load(string key, string folder, string format)
    {
        var info = KnownDatasets.Get(key);
        var cifar100 = info == KnownDatasets.Cifar100;
        var layout = info.Layouts.FirstOrDefault(l => l.Format == format)
                     ?? throw new ArgumentException($"{info.Key} has no '{format}' distribution.", nameof(format));

        ImageDataset Read(IEnumerable<string> files, string split)
        {
            var parts = files.Select(f =>
            {
                var path = DatasetCatalog.FindFile(folder, f) ?? throw new FileNotFoundException($"{Path.Combine(folder, f)} is missing.");
                return format == "binary" ? ReadBinary(path, cifar100) : ReadPython(path, cifar100);
            }).ToList();
            var pixels = parts.SelectMany(p => p.Pixels).ToArray();
            var labels = parts.SelectMany(p => p.Labels).ToArray();
            return new ImageDataset($"{info.Key} {split}", pixels, labels, info.Channels, info.Size, info.Size, info.ClassNames);
        }

        return new DatasetSplits(Read(layout.TrainFiles, "train"), Read(layout.TestFiles, "test"));
    }

    /// <summary>
    /// Binary records: CIFAR-10 is &lt;label&gt;&lt;3072 pixels&gt;, CIFAR-100 is
    /// &lt;coarse label&gt;&lt;fine label&gt;&lt;3072 pixels&gt;; pixels are R, G, B planes of 32×32.
    /// </summary>
    public static (byte[] Pixels, long[] Labels) ReadBinary(string path, bool cifar100)
    {
        var bytes = DataFiles.ReadAll(path);
        var labelBytes = cifar100 ? 2 : 1;
        var record = labelBytes + ImageBytes;
        if (bytes.Length == 0 || bytes.Length % record != 0)
            throw new InvalidDataException(
                $"{path}: {bytes.Length} bytes is not a whole number of {record}-byte CIFAR-{(cifar100 ? 100 : 10)} records" +
                $" ({bytes.Length / record} whole records, {bytes.Length % record} bytes left over: truncated or not this format).");
        var count = bytes.Length / record;
        var pixels = new byte[count * ImageBytes];
        var labels = new long[count];
        var maxLabel = cifar100 ? 99 : 9;
        for (var i = 0; i < count; i++)
        {
            var label = bytes[i * record + labelBytes - 1];
            if (label > maxLabel)
                throw new InvalidDataException($"{path}: record {i} (byte {i * record + labelBytes - 1}) has label {label}, above {maxLabel}.");
            labels[i] = label;
            Buffer.BlockCopy(bytes, i * record + labelBytes, pixels, i * ImageBytes, ImageBytes);
        }
        return (pixels, labels);
    }

    /// <summary>Python pickles: a dict with 'data' (N × 3072 uint8) and 'labels' or 'fine_labels'.</summary>
    public static (byte[] Pixels, long[] Labels) ReadPython(string path, bool cifar100)
    {
        if (Pickle.Load(path) is not Dictionary<object, object?> dict)
            throw new InvalidDataException($"{path}: the pickle does not hold a dict.");
        var labelKey = cifar100 ? "fine_labels" : "labels";
        if (!dict.TryGetValue("data", out var dataObject) || dataObject is not Pickle.NdArray data)
            throw new InvalidDataException($"{path}: no 'data' array in the pickle.");
        if (!dict.TryGetValue(labelKey, out var labelObject) || labelObject is not List<object?> labelList)
            throw new InvalidDataException($"{path}: no '{labelKey}' list in the pickle.");
        if (data.DType is not ("u1" or "|u1" or "uint8"))
            throw new InvalidDataException($"{path}: 'data' has dtype {data.DType}, expected uint8.");
        if (data.Shape.Length != 2 || data.Shape[1] != ImageBytes)
            throw new InvalidDataException($"{path}: 'data' has shape ({string.Join(", ", data.Shape)}), expected (N, {ImageBytes}).");
        if (data.Data.Length != (long)data.Shape[0] * ImageBytes)
            throw new InvalidDataException($"{path}: 'data' holds {data.Data.Length} bytes for shape ({data.Shape[0]}, {ImageBytes}) (truncated).");
        if (labelList.Count != data.Shape[0])
            throw new InvalidDataException($"{path}: {labelList.Count} labels for {data.Shape[0]} images.");
        var labels = labelList.Select(l => l is long v ? v : throw new InvalidDataException($"{path}: a label is not an integer.")).ToArray();
        return (data.Data, labels);
    }
}
