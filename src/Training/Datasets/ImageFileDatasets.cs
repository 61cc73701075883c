namespace ProCo.Training.Datasets;

/// <summary>What a researcher asks to register; <see cref="ImageFileDatasets.Resolve"/> turns it into a <see cref="RegisteredDataset"/>.</summary>
/// <param name="Name">The key runs will name it by.</param>
/// <param name="Root">The dataset's root folder on this server.</param>
/// <param name="Kind">imagenet-lt, inat2018, list or folder; null guesses from what is in the folder.</param>
/// <param name="Lists">Folder of the family's list files (default: the root, then its ImageNet_LT/ or iNaturalist18/ folder).</param>
/// <param name="TrainList">list: the training list file.</param>
/// <param name="ValList">list: the validation list file (optional).</param>
/// <param name="TestList">list: the test list file.</param>
/// <param name="ValFraction">folder without split folders: validation share per class.</param>
/// <param name="TestFraction">folder without split folders: test share per class.</param>
/// <param name="SplitSeed">folder without split folders: seed of the split.</param>
public sealed record DatasetRequest(string Name, string Root, string? Kind = null, string? Lists = null, string? TrainList = null,
    string? ValList = null, string? TestList = null, double ValFraction = 0.1, double TestFraction = 0.1, int SplitSeed = 0);

/// <summary>A registration that cannot be made, with the field of the request it is about (name, root, kind, lists, fractions).</summary>
public sealed class DatasetRequestException(string field, string message) : ArgumentException(message)
{
    /// <summary>The request field the message is about.</summary>
    public string Field { get; } = field;
}

/// <summary>Registration, loading and scanning of on-disk image datasets (list files and ImageFolder trees).</summary>
public static class ImageFileDatasets
{
    /// <summary>The split folders of an ImageFolder tree that has them.</summary>
    public static readonly IReadOnlyList<string> SplitFolders = ["train", "val", "test"];

    /// <summary>
    /// Checks a request against the disk and returns the registration, or throws
    /// <see cref="ArgumentException"/> with what is wrong (nothing is saved then).
    /// </summary>
    public static RegisteredDataset Resolve(DatasetRequest request)
    {
        var name = request.Name.Trim().ToLowerInvariant();
        if (DatasetRegistry.CheckName(name) is { } nameError) throw new DatasetRequestException("name", nameError);
        if (string.IsNullOrWhiteSpace(request.Root) || !Path.IsPathRooted(request.Root))
            throw new DatasetRequestException("root", $"The dataset's root must be an absolute folder path on the server, not '{request.Root}'.");
        var root = Path.GetFullPath(request.Root);
        if (!Directory.Exists(root)) throw new DatasetRequestException("root", $"The folder {root} does not exist on this server.");
        var kind = request.Kind?.Trim().ToLowerInvariant() ?? Guess(root, request);
        if (!ImageFamilies.Kinds.Contains(kind))
            throw new DatasetRequestException("kind", $"Unknown dataset kind '{kind}': use {string.Join(", ", ImageFamilies.Kinds)}.");
        var dataset = new RegisteredDataset { Name = name, Root = root, Kind = kind, AddedAt = DateTimeOffset.UtcNow };
        if (ImageFamilies.Find(kind) is { } family)
        {
            var folder = FindListFolder(root, request.Lists, family);
            return dataset with
            {
                TrainList = Path.Combine(folder, family.TrainList),
                ValList = Path.Combine(folder, family.ValList),
                TestList = Path.Combine(folder, family.TestList),
            };
        }
        if (kind == "list")
        {
            string? Existing(string? path, string what, bool required)
            {
                if (path is null)
                    return required ? throw new DatasetRequestException("lists", $"A list dataset needs its {what} list file.") : null;
                var full = Path.GetFullPath(path, root);
                return File.Exists(full) ? full : throw new DatasetRequestException("lists", $"The {what} list {full} does not exist.");
            }
            return dataset with
            {
                TrainList = Existing(request.TrainList, "train", true),
                ValList = Existing(request.ValList, "val", false),
                TestList = Existing(request.TestList, "test", true),
            };
        }
        if (!(request.ValFraction >= 0 && request.TestFraction > 0 && request.ValFraction + request.TestFraction < 1))
            throw new DatasetRequestException("fractions", "The validation and test shares must be in [0, 1) with a test share above 0 and a sum below 1.");
        return dataset with { ValFraction = request.ValFraction, TestFraction = request.TestFraction, SplitSeed = request.SplitSeed };
    }

    // A folder holding a family's training list means that family; anything else is an ImageFolder tree.
    private static string Guess(string root, DatasetRequest request)
    {
        if (request.TrainList is not null) return "list";
        foreach (var family in ImageFamilies.All)
        {
            if (TryListFolder(root, request.Lists, family) is not null) return family.Kind;
        }
        return "folder";
    }

    private static string? TryListFolder(string root, string? lists, ImageFamily family)
    {
        var candidates = lists is not null
            ? [Path.GetFullPath(lists, root)]
            : new[] { root, Path.Combine(root, family.TrainList.Replace("_train.txt", "")) };
        return candidates.FirstOrDefault(folder => new[] { family.TrainList, family.ValList, family.TestList }
            .All(f => File.Exists(Path.Combine(folder, f))));
    }

    private static string FindListFolder(string root, string? lists, ImageFamily family) =>
        TryListFolder(root, lists, family)
        ?? throw new DatasetRequestException("lists", $"{family.Title} needs {string.Join(", ", new[] { family.TrainList, family.ValList, family.TestList }.Distinct())} " +
                                       $"in {(lists is null ? $"{root} or {Path.Combine(root, family.TrainList.Replace("_train.txt", ""))}" : Path.GetFullPath(lists, root))} " +
                                       "(the public code's dataset/ folder has them): name the folder of the list files.");

    /// <summary>Reads the splits of a registration (file lists only; nothing is decoded).</summary>
    public static DatasetSplits Load(RegisteredDataset dataset)
    {
        var splits = LoadFiles(dataset);
        if (dataset.ConfinedTo is { Count: > 0 } roots) Confine(splits, new PathConfinement(roots));
        return splits;
    }

    // A file a list names, or a class folder holds, through a symbolic link that leads out of the allowed folders is refused by name.
    private static void Confine(DatasetSplits splits, PathConfinement confinement)
    {
        foreach (var split in new[] { splits.Train, splits.Val, splits.Test }.OfType<ImageFileSplit>())
        {
            for (var i = 0; i < split.Count; i++)
            {
                var path = split.FullPath(i);
                if (confinement.Outside(path) is { } real)
                    throw new InvalidDataException($"{path} leads to {real}, outside the folders this server reads datasets from " +
                                                   $"({string.Join(", ", confinement.Roots)}, ProCo:DatasetRoots): a symbolic link may not lead out of them.");
            }
        }
    }

    private static DatasetSplits LoadFiles(RegisteredDataset dataset)
    {
        if (dataset.TrainList is { } trainList)
        {
            var train = ImageFileReaders.ReadList(trainList);
            var test = ImageFileReaders.ReadList(dataset.TestList!);
            var val = dataset.ValList is { } v ? ImageFileReaders.ReadList(v) : default;
            var classes = dataset.Family?.Classes ?? (int)(train.Labels.Concat(test.Labels).Concat(val.Labels ?? []).Max() + 1);
            var names = ImageFileReaders.ClassNamesOf(train.Paths, train.Labels, classes);
            ImageFileSplit Split((List<string> Paths, List<long> Labels) list, string split, string file)
            {
                var tooLarge = list.Labels.FirstOrDefault(l => l >= classes, -1);
                if (tooLarge >= 0) throw new InvalidDataException($"{file}: label {tooLarge} is outside 0..{classes - 1}.");
                return new ImageFileSplit($"{dataset.Name} {split}", dataset.Root, list.Paths, [.. list.Labels], names, dataset.Mean, dataset.Std);
            }
            return new DatasetSplits(Split(train, "train", trainList), Split(test, "test", dataset.TestList!),
                dataset.ValList is { } valList ? Split(val, "val", valList) : null);
        }

        var root = dataset.Root;
        if (Directory.Exists(Path.Combine(root, "train")))
        {
            var classes = ImageFileReaders.ClassFolders(Path.Combine(root, "train"));
            ImageFileSplit? Folder(string split)
            {
                var folder = Path.Combine(root, split);
                if (!Directory.Exists(folder)) return null;
                var unknown = ImageFileReaders.ClassFolders(folder).Except(classes).ToArray();
                if (unknown.Length > 0)
                    throw new InvalidDataException($"{folder} has class folders that train/ does not: {string.Join(", ", unknown.Take(5))}.");
                var (paths, labels) = ImageFileReaders.ReadFolder(folder, classes, root);
                return new ImageFileSplit($"{dataset.Name} {split}", root, paths, [.. labels], classes, dataset.Mean, dataset.Std);
            }
            var trainSplit = Folder("train")!;
            var testSplit = Folder("test");
            var valSplit = Folder("val");
            // A tree with train/ and val/ only (the ImageNet layout) tests on val, as the public iNaturalist code does.
            return testSplit is not null
                ? new DatasetSplits(trainSplit, testSplit, valSplit)
                : valSplit is not null
                    ? new DatasetSplits(trainSplit, valSplit)
                    : throw new InvalidDataException($"{root} has train/ but neither val/ nor test/.");
        }

        var all = ImageFileReaders.ClassFolders(root);
        var (allPaths, allLabels) = ImageFileReaders.ReadFolder(root, all, root);
        var whole = new ImageFileSplit(dataset.Name, root, allPaths, [.. allLabels], all, dataset.Mean, dataset.Std);
        var (trainIdx, valIdx, testIdx) = SplitByClass(whole.Labels, all.Length, dataset.ValFraction, dataset.TestFraction, dataset.SplitSeed);
        return new DatasetSplits(whole.Subset(trainIdx, $"{dataset.Name} train"), whole.Subset(testIdx, $"{dataset.Name} test"),
            valIdx.Count > 0 ? whole.Subset(valIdx, $"{dataset.Name} val") : null);
    }

    /// <summary>
    /// Splits each class's images by a seeded shuffle: round(n · test) to test, round(n · val) to
    /// validation, the rest (at least one) to training; each split keeps the images' order.
    /// </summary>
    public static (List<int> Train, List<int> Val, List<int> Test) SplitByClass(long[] labels, int classes, double valFraction,
        double testFraction, int seed)
    {
        var random = new Random(seed);
        List<int> train = [], val = [], test = [];
        for (var c = 0; c < classes; c++)
        {
            var members = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).ToArray();
            random.Shuffle(members);
            var nTest = Math.Min((int)Math.Round(members.Length * testFraction), Math.Max(0, members.Length - 1));
            var nVal = Math.Min((int)Math.Round(members.Length * valFraction), Math.Max(0, members.Length - 1 - nTest));
            test.AddRange(members.Take(nTest));
            val.AddRange(members.Skip(nTest).Take(nVal));
            train.AddRange(members.Skip(nTest + nVal));
        }
        train.Sort();
        val.Sort();
        test.Sort();
        return (train, val, test);
    }

    /// <summary>
    /// Counts images per class and split and finds the files that are missing, or, with
    /// <paramref name="decode"/>, every file that does not decode (on <paramref name="threads"/> threads).
    /// </summary>
    public static DatasetScan Scan(RegisteredDataset dataset, bool decode = false, int threads = 0, IProgress<int>? progress = null)
    {
        var splits = Load(dataset);
        var named = new List<(string Split, IImageSplit Images)> { ("train", splits.Train) };
        if (splits.Val is { } val) named.Add(("val", val));
        // iNaturalist's test list is its validation list: counted once.
        if (splits.Test is ImageFileSplit test && !(dataset.ValList is not null && dataset.ValList == dataset.TestList)) named.Add(("test", test));
        var unreadable = new System.Collections.Concurrent.ConcurrentBag<UnreadableImage>();
        var done = 0;
        var files = named.SelectMany(n => Enumerable.Range(0, n.Images.Count).Select(i => ((ImageFileSplit)n.Images).FullPath(i))).Distinct().ToArray();
        Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount }, path =>
        {
            if (!File.Exists(path)) unreadable.Add(new UnreadableImage(path, "missing"));
            else if (decode && ImageDecoder.Problem(path) is { } problem) unreadable.Add(new UnreadableImage(path, problem));
            var count = Interlocked.Increment(ref done);
            if (count % 1000 == 0) progress?.Report(count);
        });
        return new DatasetScan(named.ToDictionary(n => n.Split, n => n.Images.ClassCounts()), splits.Train.ClassNames,
            [.. unreadable.OrderBy(u => u.Path, StringComparer.Ordinal)], decode, DateTimeOffset.UtcNow);
    }
}
