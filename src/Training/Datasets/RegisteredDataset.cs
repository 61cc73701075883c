using System.Text.Json;
using System.Text.RegularExpressions;

namespace ProCo.Training.Datasets;

/// <summary>
/// A family of on-disk datasets whose layout the public code fixes: the list files it reads, the
/// normalisation it uses, which list is the test split.
/// </summary>
/// <param name="Kind">Key of the family (imagenet-lt, inat2018).</param>
/// <param name="Title">Display name.</param>
/// <param name="TrainList">File name of the training list.</param>
/// <param name="ValList">File name of the validation list (the model is chosen on it).</param>
/// <param name="TestList">File name of the test list (the final evaluation); the validation list where the family has no other.</param>
/// <param name="Classes">Number of classes.</param>
/// <param name="Mean">Normalisation mean (0..1).</param>
/// <param name="Std">Normalisation standard deviation (0..1).</param>
public sealed record ImageFamily(string Kind, string Title, string TrainList, string ValList, string TestList, int Classes, double[] Mean, double[] Std);

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

/// <summary>What a scan of a registered dataset found.</summary>
/// <param name="Splits">Images per class of each split present (train, val, test).</param>
/// <param name="ClassNames">Class names in label order.</param>
/// <param name="Unreadable">Files that are missing or could not be decoded, by path, with the reason.</param>
/// <param name="Decoded">True when every image was decoded (<c>proco dataset verify</c>), not only checked to exist.</param>
/// <param name="ScannedAt">When.</param>
public sealed record DatasetScan(IReadOnlyDictionary<string, long[]> Splits, IReadOnlyList<string> ClassNames,
    IReadOnlyList<UnreadableImage> Unreadable, bool Decoded, DateTimeOffset ScannedAt);

/// <summary>An image that could not be used, and why.</summary>
public sealed record UnreadableImage(string Path, string Reason);

/// <summary>The families of the public code: ImageNet-LT and iNaturalist 2018.</summary>
public static class ImageFamilies
{
    /// <summary>ImageNet-LT (Liu et al. 2019): 1000 classes; train, val and test lists; ImageNet's normalisation.</summary>
    public static readonly ImageFamily ImageNetLt = new("imagenet-lt", "ImageNet-LT", "ImageNet_LT_train.txt", "ImageNet_LT_val.txt",
        "ImageNet_LT_test.txt", 1000, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);

    /// <summary>iNaturalist 2018: 8,142 classes; its validation list is also its test list; its own normalisation.</summary>
    public static readonly ImageFamily INaturalist2018 = new("inat2018", "iNaturalist 2018", "iNaturalist18_train.txt", "iNaturalist18_val.txt",
        "iNaturalist18_val.txt", 8142, [0.466, 0.471, 0.380], [0.195, 0.194, 0.192]);

    /// <summary>Both, in display order.</summary>
    public static readonly IReadOnlyList<ImageFamily> All = [ImageNetLt, INaturalist2018];

    /// <summary>The family of a kind, or null.</summary>
    public static ImageFamily? Find(string kind) => All.FirstOrDefault(f => f.Kind == kind);

    /// <summary>Every kind a registration may have.</summary>
    public static readonly IReadOnlyList<string> Kinds = [.. All.Select(f => f.Kind), "list", "folder"];
}

/// <summary>
/// The registered image datasets of one data folder (<c>datasets.json</c>), read anew on every call
/// so a dataset the CLI adds is seen by a running server. Writes replace the file atomically.
/// </summary>
public sealed partial class DatasetRegistry(string file)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private static readonly object WriteLock = new();

    /// <summary>The file the registrations are kept in.</summary>
    public string File { get; } = file;

    /// <summary>Every registration, by name.</summary>
    public IReadOnlyList<RegisteredDataset> All()
    {
        if (!System.IO.File.Exists(File)) return [];
        try
        {
            return JsonSerializer.Deserialize<List<RegisteredDataset>>(System.IO.File.ReadAllText(File), Json) ?? [];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{File} is not a valid dataset registry: {e.Message}", e);
        }
    }

    /// <summary>The registration of <paramref name="name"/>, or null.</summary>
    public RegisteredDataset? Find(string name) => All().FirstOrDefault(d => string.Equals(d.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>Adds or replaces a registration.</summary>
    public void Save(RegisteredDataset dataset) =>
        Update(list =>
        {
            list.RemoveAll(d => d.Name == dataset.Name);
            list.Add(dataset);
        });

    /// <summary>
    /// Records a scan of <paramref name="scanned"/>, unless the dataset was registered again (another root, other
    /// lists or split) or removed while the scan ran: then the scan describes files it no longer names and is dropped.
    /// </summary>
    public bool SaveScan(RegisteredDataset scanned, DatasetScan scan)
    {
        var saved = false;
        Update(list =>
        {
            var index = list.FindIndex(d => d.Name == scanned.Name);
            if (index < 0 || !SameFiles(list[index], scanned)) return;
            list[index] = list[index] with { Scan = scan };
            saved = true;
        });
        return saved;
    }

    private static bool SameFiles(RegisteredDataset a, RegisteredDataset b) =>
        (a.Root, a.Kind, a.TrainList, a.ValList, a.TestList, a.ValFraction, a.TestFraction, a.SplitSeed) ==
        (b.Root, b.Kind, b.TrainList, b.ValList, b.TestList, b.ValFraction, b.TestFraction, b.SplitSeed);

    /// <summary>Removes a registration (the files stay); false when there was none.</summary>
    public bool Remove(string name)
    {
        var removed = false;
        Update(list => removed = list.RemoveAll(d => d.Name == name) > 0);
        return removed;
    }

    // Read, change and replace the file under a lock that also holds between processes (the CLI, the web app
    // and workers share the data folder): a lock file opened exclusively, waited for up to 30 seconds.
    private void Update(Action<List<RegisteredDataset>> change)
    {
        lock (WriteLock)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(File))!);
            using var held = AcquireFileLock(File + ".lock");
            var list = All().ToList();
            change(list);
            list.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            var temp = File + $".tmp-{Environment.ProcessId}";
            System.IO.File.WriteAllText(temp, JsonSerializer.Serialize(list, Json));
            System.IO.File.Move(temp, File, overwrite: true);
        }
    }

    private static FileStream AcquireFileLock(string path)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>Why <paramref name="name"/> cannot name a registered dataset, or null.</summary>
    public static string? CheckName(string name)
    {
        if (!NamePattern().IsMatch(name))
            return $"'{name}' is not a dataset name: use 2 to 40 lower-case letters, digits, '-' or '_', starting with a letter.";
        if (KnownDatasets.Find(name) is { } known)
            return $"'{name}' is the built-in dataset {known.Key}: choose another name.";
        return null;
    }

    [GeneratedRegex("^[a-z][a-z0-9_-]{1,39}$")]
    private static partial Regex NamePattern();
}
