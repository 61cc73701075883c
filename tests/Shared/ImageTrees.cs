using SkiaSharp;

namespace ProCo.Tests;

/// <summary>
/// Writes small real JPEG and PNG datasets in the layouts the app reads: the public code's list
/// files (ImageNet-LT, iNaturalist 2018), ImageFolder trees with and without split folders, plus one
/// corrupt and one truncated image. Each class has its own colour, so a network can learn them.
/// </summary>
public static class ImageTrees
{
    private static readonly SKColor[] Colours = [new(200, 40, 40), new(40, 190, 40), new(40, 40, 210), new(200, 200, 40)];

    /// <summary>Writes one image of class <paramref name="label"/> (JPEG unless the path ends in .png).</summary>
    public static void WriteImage(string path, int label, int index, int width = 48, int height = 40)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var random = new Random(label * 1000 + index);
        var colour = Colours[label % Colours.Length];
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                byte Jitter(byte c) => (byte)Math.Clamp(c * 0.7 + random.Next(-40, 41) + (x + y) % 16, 0, 255);
                bitmap.SetPixel(x, y, new SKColor(Jitter(colour.Red), Jitter(colour.Green), Jitter(colour.Blue)));
            }
        }
        using var image = SKImage.FromBitmap(bitmap);
        var format = path.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg;
        using var data = image.Encode(format, 90);
        using var file = File.Create(path);
        data.SaveTo(file);
    }

    /// <summary>A file that is no image at all.</summary>
    public static void WriteCorrupt(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "these bytes are not an image");
    }

    /// <summary>The first half of a real JPEG, as an interrupted copy leaves it.</summary>
    public static void WriteTruncated(string path, int label)
    {
        var whole = path + ".whole.jpg";
        WriteImage(whole, label, 999);
        var bytes = File.ReadAllBytes(whole);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        File.Delete(whole);
    }

    /// <summary>
    /// An ImageFolder tree with train/val/test folders: classes a..d (sorted names), long-tailed
    /// training counts, <paramref name="perClassEval"/> images per class in val and test; every
    /// fourth image a PNG; one corrupt and one truncated training image.
    /// </summary>
    public static string SplitFolders(string root, int[] trainCounts, int perClassEval)
    {
        string[] names = ["apple", "birch", "cedar", "daisy"];
        foreach (var (split, counts) in new[] { ("train", trainCounts), ("val", trainCounts.Select(_ => perClassEval).ToArray()), ("test", trainCounts.Select(_ => perClassEval).ToArray()) })
        {
            for (var c = 0; c < counts.Length; c++)
            {
                for (var i = 0; i < counts[c]; i++)
                    WriteImage(Path.Combine(root, split, names[c], $"{split}_{i:D3}.{(i % 4 == 3 ? "png" : "jpg")}"), c, i + (split == "train" ? 0 : 500));
            }
        }
        WriteCorrupt(Path.Combine(root, "train", names[0], "zz_corrupt.jpg"));
        WriteTruncated(Path.Combine(root, "train", names[1], "zz_truncated.jpg"), 1);
        return root;
    }

    /// <summary>
    /// Images under <paramref name="root"/> as ImageNet lays them out (train/nXXXXXXXX/...JPEG,
    /// val/...) and list files naming them relative to the root, "path label" a line.
    /// </summary>
    public static void ListFiles(string root, string listFolder, string trainList, string valList, string? testList, int[] trainCounts, int perClassEval)
    {
        Directory.CreateDirectory(listFolder);
        List<string> Write(string split, int[] counts)
        {
            var lines = new List<string>();
            for (var c = 0; c < counts.Length; c++)
            {
                for (var i = 0; i < counts[c]; i++)
                {
                    var relative = $"{split}/n0{c + 1:D7}/n0{c + 1:D7}_{split}_{i}.JPEG";
                    WriteImage(Path.Combine(root, relative), c, i + (split == "train" ? 0 : 700));
                    lines.Add($"{relative} {c}");
                }
            }
            return lines;
        }
        File.WriteAllLines(Path.Combine(listFolder, trainList), Write("train", trainCounts));
        File.WriteAllLines(Path.Combine(listFolder, valList), Write("val", trainCounts.Select(_ => perClassEval).ToArray()));
        if (testList is not null) File.WriteAllLines(Path.Combine(listFolder, testList), Write("test", trainCounts.Select(_ => perClassEval).ToArray()));
    }
}
