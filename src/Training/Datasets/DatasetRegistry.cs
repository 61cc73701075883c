using System.Text.Json;
using System.Text.RegularExpressions;

namespace ProCo.Training.Datasets;

/// <summary>
/// The registered image datasets of one data folder (<c>datasets.json</c>), read anew on every call
/// so a dataset the CLI adds is seen by a running server. Writes replace the file atomically.
/// </summary>
/// <param name="file">The file the registrations are kept in.</param>
/// <param name="confineTo">Folders every registered dataset's files must lie under by real path (<c>ProCo:DatasetRoots</c>), or none.</param>
public sealed partial class DatasetRegistry(string file, IReadOnlyList<string>? confineTo = null)
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
            var list = JsonSerializer.Deserialize<List<RegisteredDataset>>(System.IO.File.ReadAllText(File), Json) ?? [];
            return confineTo is { Count: > 0 } ? list.Select(d => d with { ConfinedTo = confineTo }).ToList() : list;
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
