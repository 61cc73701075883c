namespace ProCo.Training.Datasets;

/// <summary>Where a known dataset was looked for and what was found.</summary>
/// <param name="Key">Dataset key (fashion-mnist, cifar10, cifar100).</param>
/// <param name="Present">True when every file needed for training and testing was found.</param>
/// <param name="Location">The folder that holds it, or null.</param>
/// <param name="Format">The on-disk format found (idx, binary, python), or null.</param>
/// <param name="Searched">Folders that were searched, in order.</param>
/// <param name="Advice">What to do when it is missing.</param>
public sealed record DatasetStatus(string Key, bool Present, string? Location, string? Format,
    IReadOnlyList<string> Searched, string Advice);

/// <summary>Where the datasets of <see cref="KnownDatasets"/> are looked for on this machine, and what was found.</summary>
public sealed class DatasetCatalog
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the IDX files.</summary>
    public const string DebianFashionMnistDir = KnownDatasets.DebianFashionMnistDir;

    /// <summary>Dataset keys in display order.</summary>
    public static readonly IReadOnlyList<string> Keys = [.. KnownDatasets.All.Select(d => d.Key)];

    private readonly string _datasetsDir;
    private readonly IReadOnlyDictionary<string, string> _overrides;
    private readonly bool _searchSystemFolders;

    /// <param name="datasetsDir">Root folder of downloaded or copied datasets.</param>
    /// <param name="overrides">Explicit folders per dataset key, searched first.</param>
    /// <param name="searchSystemFolders">Also look where distribution packages install datasets.</param>
    /// <param name="registry">The registered image datasets (list files, ImageFolder trees), if any.</param>
    public DatasetCatalog(string datasetsDir, IReadOnlyDictionary<string, string>? overrides = null,
        bool searchSystemFolders = true, DatasetRegistry? registry = null)
    {
        Registry = registry;
        _datasetsDir = Path.GetFullPath(datasetsDir);
        _overrides = overrides ?? new Dictionary<string, string>();
        _searchSystemFolders = searchSystemFolders;
    }

    /// <summary>The registered image datasets, or null where none can be registered.</summary>
    public DatasetRegistry? Registry { get; }

    /// <summary>The registration of <paramref name="name"/>, or null (a built-in key, or unknown).</summary>
    public RegisteredDataset? Registered(string name) =>
        KnownDatasets.Find(name) is null ? Registry?.Find(name) : null;

    /// <summary>Root folder of datasets.</summary>
    public string DatasetsDir => _datasetsDir;

    /// <summary>Normalises user spellings (CIFAR-100, cifar_100, fmnist) to a key, or throws.</summary>
    public static string NormalizeKey(string name) => KnownDatasets.Get(name).Key;

    /// <summary>A built-in dataset's key for any of its spellings, else the name in lower case (a registered image dataset).</summary>
    public static string NormalizeName(string name) => KnownDatasets.Find(name)?.Key ?? name.Trim().ToLowerInvariant();

    /// <summary>Looks for every known dataset.</summary>
    public IReadOnlyList<DatasetStatus> Probe() => Keys.Select(Probe).ToList();

    /// <summary>Every dataset a run can name: the built-in ones (present or not), then the registered image datasets.</summary>
    public IReadOnlyList<DatasetStatus> Available() =>
    [
        .. Probe(),
        .. (Registry?.All() ?? []).Select(r => r.Status()),
    ];

    /// <summary>Looks for one dataset.</summary>
    public DatasetStatus Probe(string key)
    {
        var info = KnownDatasets.Get(key);
        var searched = new List<string>();
        foreach (var (folder, layout) in Candidates(info))
        {
            searched.Add(folder);
            if (layout.Files.All(f => FindFile(folder, f) is not null))
                return new DatasetStatus(info.Key, true, folder, layout.Format, searched, "");
        }
        return new DatasetStatus(info.Key, false, null, null, searched, info.HowToGet(_datasetsDir));
    }

    /// <summary>Finds <paramref name="name"/> in <paramref name="folder"/>, also as <c>name.gz</c>.</summary>
    public static string? FindFile(string folder, string name)
    {
        var plain = Path.Combine(folder, name);
        if (File.Exists(plain)) return plain;
        var gz = plain + ".gz";
        return File.Exists(gz) ? gz : null;
    }

    // An explicit folder (in every layout), then each layout's folder under the datasets folder, then the system folder.
    private IEnumerable<(string Folder, DatasetLayout Layout)> Candidates(DatasetInfo info)
    {
        if (_overrides.TryGetValue(info.Key, out var custom))
        {
            foreach (var layout in info.Layouts) yield return (Path.GetFullPath(custom), layout);
        }
        foreach (var layout in info.Layouts) yield return (Path.Combine(_datasetsDir, layout.Folder), layout);
        if (_searchSystemFolders && info.SystemFolder is { } system) yield return (system, info.Layouts[0]);
    }
}
