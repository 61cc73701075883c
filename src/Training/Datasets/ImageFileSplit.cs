namespace ProCo.Training.Datasets;

/// <summary>
/// One split of an on-disk image dataset: the files (relative to a root folder) and their labels.
/// Nothing is decoded until a batch asks for it, so ImageNet-LT and iNaturalist never sit in memory.
/// </summary>
public sealed class ImageFileSplit : IImageSplit<ImageFileSplit>
{
    /// <summary>Creates a split, checking that paths and labels agree.</summary>
    public ImageFileSplit(string name, string root, IReadOnlyList<string> paths, long[] labels, IReadOnlyList<string> classNames,
        double[]? mean = null, double[]? std = null)
    {
        Mean = mean ?? ImageFamilies.ImageNetLt.Mean;
        Std = std ?? ImageFamilies.ImageNetLt.Std;
        if (paths.Count != labels.Length)
            throw new ArgumentException($"{name}: {paths.Count} files for {labels.Length} labels.");
        ImageSplits.CheckLabels(name, labels, classNames.Count);
        Name = name;
        Root = root;
        Paths = paths;
        Labels = labels;
        ClassNames = classNames;
    }

    public string Name { get; }

    /// <summary>The folder the paths are relative to.</summary>
    public string Root { get; }

    /// <summary>Each image's path relative to <see cref="Root"/>, as the list file or the folder tree names it.</summary>
    public IReadOnlyList<string> Paths { get; }

    public long[] Labels { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public int NumClasses => ClassNames.Count;
    public int Count => Labels.Length;

    /// <summary>Images per class.</summary>
    public long[] ClassCounts() => ImageSplits.Count(Labels, NumClasses);

    /// <summary>Decoded images are RGB (grayscale and palette images are converted, alpha dropped), as PIL's convert("RGB").</summary>
    public int Channels => 3;

    /// <summary>Per-channel mean (0..1) the dataset's images are normalised with (ImageNet's unless the family has its own).</summary>
    public double[] Mean { get; }

    /// <summary>Per-channel standard deviation (0..1).</summary>
    public double[] Std { get; }

    /// <summary>Where image <paramref name="index"/> is on disk.</summary>
    public string FullPath(int index) => Path.Combine(Root, Paths[index]);

    public ImageFileSplit Subset(IReadOnlyList<int> indices, string? name = null) =>
        new(name ?? Name, Root, indices.Select(i => Paths[i]).ToArray(), indices.Select(i => Labels[i]).ToArray(), ClassNames, Mean, Std);
}

/// <summary>Reads the list files of the long-tail literature and ImageFolder trees into splits.</summary>
public static class ImageFileReaders
{
    /// <summary>The longest list file read (characters).</summary>
    public const long MaxListCharacters = 1L << 30;

    /// <summary>File endings read as images in an ImageFolder tree (what the decoder understands).</summary>
    public static readonly IReadOnlyList<string> Extensions = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"];

    /// <summary>
    /// A list file of the public code (ImageNet_LT_train.txt, iNaturalist18_val.txt ...): one image a
    /// line, "relative/path.jpg label", the path relative to the dataset's root. Blank lines are
    /// skipped; a line without a whole-number label is an error naming the file and the line.
    /// </summary>
    public static (List<string> Paths, List<long> Labels) ReadList(string listPath)
    {
        if (!File.Exists(listPath)) throw new FileNotFoundException($"The list file {listPath} does not exist.", listPath);
        var paths = new List<string>();
        var labels = new List<long>();
        var number = 0;
        long characters = 0;
        foreach (var raw in File.ReadLines(listPath))
        {
            number++;
            // iNaturalist's training list is 44 MB; a file a thousand times that is no list (or a device that never ends).
            if ((characters += raw.Length + 1) > MaxListCharacters)
                throw new InvalidDataException($"{listPath} is longer than {MaxListCharacters / (1 << 20)} MiB: not a list file of images.");
            var line = raw.Trim();
            if (line.Length == 0) continue;
            // The label is the last field; the path is everything before it (paths with spaces survive).
            var cut = line.LastIndexOfAny([' ', '\t']);
            if (cut <= 0 || !long.TryParse(line[(cut + 1)..], out var label) || label < 0)
                throw new InvalidDataException($"{listPath}, line {number}: expected \"relative/path.jpg label\" with a whole-number label, found \"{Shorten(line)}\".");
            var path = line[..cut].Trim();
            if (Path.IsPathRooted(path) || path.Split('/', '\\').Contains(".."))
                throw new InvalidDataException($"{listPath}, line {number}: the path \"{Shorten(path)}\" must be relative to the dataset's root, without '..'.");
            paths.Add(path);
            labels.Add(label);
        }
        if (paths.Count == 0) throw new InvalidDataException($"{listPath} lists no image.");
        return (paths, labels);
    }

    /// <summary>
    /// Class names of list files: the folder every image of a class sits in when that is one folder per
    /// class (ImageNet's synsets, iNaturalist's category ids), else "class N".
    /// </summary>
    public static string[] ClassNamesOf(IReadOnlyList<string> paths, IReadOnlyList<long> labels, int classes)
    {
        var names = new string?[classes];
        var unique = true;
        for (var i = 0; i < paths.Count && unique; i++)
        {
            var folder = Path.GetFileName(Path.GetDirectoryName(paths[i].Replace('\\', '/')) ?? "");
            ref var name = ref names[labels[i]];
            if (name is null) name = folder;
            else if (name != folder) unique = false;
        }
        unique = unique && names.All(n => !string.IsNullOrEmpty(n)) && names.Distinct().Count() == classes;
        return [.. Enumerable.Range(0, classes).Select(c => unique ? names[c]! : $"class {c}")];
    }

    /// <summary>The class folders of an ImageFolder tree, sorted by name as torchvision's ImageFolder sorts them.</summary>
    public static string[] ClassFolders(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"The folder {folder} does not exist.");
        var classes = Directory.GetDirectories(folder).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal).ToArray();
        if (classes.Length == 0)
            throw new InvalidDataException($"{folder} has no class folders: an ImageFolder tree has one folder per class, each holding that class's images.");
        return classes;
    }

    /// <summary>Every image file under each class folder of <paramref name="folder"/> (recursively), labelled by <paramref name="classes"/>' order.</summary>
    public static (List<string> Paths, List<long> Labels) ReadFolder(string folder, IReadOnlyList<string> classes, string relativeTo)
    {
        var paths = new List<string>();
        var labels = new List<long>();
        for (var c = 0; c < classes.Count; c++)
        {
            var classFolder = Path.Combine(folder, classes[c]);
            if (!Directory.Exists(classFolder)) continue;
            foreach (var file in Directory.EnumerateFiles(classFolder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                if (!Extensions.Contains(Path.GetExtension(file).ToLowerInvariant())) continue;
                paths.Add(Path.GetRelativePath(relativeTo, file));
                labels.Add(c);
            }
        }
        return (paths, labels);
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";
}
