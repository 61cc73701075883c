namespace ProCo.Training.Datasets;

/// <summary>One split of a dataset as the trainer sees it: labelled images, in memory or on disk.</summary>
public interface IImageSplit
{
    /// <summary>A short description, e.g. "cifar10 train".</summary>
    string Name { get; }

    /// <summary>Class index per image.</summary>
    long[] Labels { get; }

    /// <summary>Class names in label order.</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>Image channels (3 for photographs).</summary>
    int Channels { get; }

    /// <summary>Number of classes.</summary>
    int NumClasses => ClassNames.Count;

    /// <summary>Number of images.</summary>
    int Count => Labels.Length;

    /// <summary>Images per class.</summary>
    long[] ClassCounts() => ImageSplits.Count(Labels, NumClasses);
}

/// <summary>The rules every kind of split shares.</summary>
public static class ImageSplits
{
    /// <summary>Throws, naming the split, when a label is outside the classes.</summary>
    public static void CheckLabels(string name, long[] labels, int classes)
    {
        var bad = labels.FirstOrDefault(l => l < 0 || l >= classes, -1);
        if (bad != -1) throw new InvalidDataException($"{name}: label {bad} is outside 0..{classes - 1}.");
    }

    /// <summary>Images per class.</summary>
    public static long[] Count(long[] labels, int classes)
    {
        var counts = new long[classes];
        foreach (var label in labels) counts[label]++;
        return counts;
    }
}

/// <summary>A split that can be narrowed to some of its images (the long-tail draw, test caps).</summary>
/// <typeparam name="T">The split's own type.</typeparam>
public interface IImageSplit<out T> : IImageSplit where T : IImageSplit
{
    /// <summary>The images at the given indices, in that order.</summary>
    T Subset(IReadOnlyList<int> indices, string? name = null);
}

/// <summary>
/// Images as raw bytes in N × C × H × W order with their labels: what the in-memory readers
/// (CIFAR, Fashion-MNIST) produce and what the trainer moves to the device once.
/// </summary>
public sealed class ImageDataset : IImageSplit<ImageDataset>
{
    /// <summary>Creates a dataset, checking that the sizes agree.</summary>
    public ImageDataset(string name, byte[] pixels, long[] labels, int channels, int height, int width,
        IReadOnlyList<string> classNames)
    {
        var perImage = channels * height * width;
        if (pixels.Length != (long)labels.Length * perImage)
            throw new ArgumentException($"{name}: {pixels.Length} pixel bytes do not make {labels.Length} images of {channels}x{height}x{width}.");
        ImageSplits.CheckLabels(name, labels, classNames.Count);
        Name = name;
        Pixels = pixels;
        Labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
        ClassNames = classNames;
    }

    /// <summary>A short description, e.g. "cifar10 train".</summary>
    public string Name { get; }

    /// <summary>N × C × H × W bytes.</summary>
    public byte[] Pixels { get; }

    /// <summary>Class index per image.</summary>
    public long[] Labels { get; }

    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public int NumClasses => ClassNames.Count;
    public int Count => Labels.Length;

    /// <summary>Images per class.</summary>
    public long[] ClassCounts() => ImageSplits.Count(Labels, NumClasses);

    /// <summary>The images at <paramref name="indices"/>, in that order.</summary>
    public ImageDataset Subset(IReadOnlyList<int> indices, string? name = null)
    {
        var perImage = Channels * Height * Width;
        var pixels = new byte[(long)indices.Count * perImage];
        var labels = new long[indices.Count];
        for (var i = 0; i < indices.Count; i++)
        {
            Buffer.BlockCopy(Pixels, indices[i] * perImage, pixels, i * perImage, perImage);
            labels[i] = Labels[indices[i]];
        }
        return new ImageDataset(name ?? Name, pixels, labels, Channels, Height, Width, ClassNames);
    }
}

/// <summary>A dataset's splits: training, test and, where the dataset has one, validation (the model is chosen on it).</summary>
public sealed record DatasetSplits(IImageSplit Train, IImageSplit Test, IImageSplit? Val = null);
