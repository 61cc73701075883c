namespace ProCo.Training.Datasets;

/// <summary>
/// Images as raw bytes in N × C × H × W order with their labels: what every loader produces and
/// what the trainer moves to the device once.
/// </summary>
public sealed class ImageDataset
{
    /// <summary>Creates a dataset, checking that the sizes agree.</summary>
    public ImageDataset(string name, byte[] pixels, long[] labels, int channels, int height, int width,
        IReadOnlyList<string> classNames)
    {
        var perImage = channels * height * width;
        if (pixels.Length != (long)labels.Length * perImage)
            throw new ArgumentException($"{name}: {pixels.Length} pixel bytes do not make {labels.Length} images of {channels}x{height}x{width}.");
        var bad = labels.FirstOrDefault(l => l < 0 || l >= classNames.Count, -1);
        if (bad != -1) throw new InvalidDataException($"{name}: label {bad} is outside 0..{classNames.Count - 1}.");
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
    public long[] ClassCounts()
    {
        var counts = new long[NumClasses];
        foreach (var label in Labels) counts[label]++;
        return counts;
    }

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

/// <summary>A dataset's training and test splits.</summary>
public sealed record DatasetSplits(ImageDataset Train, ImageDataset Test);
