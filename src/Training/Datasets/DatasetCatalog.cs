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

/// <summary>The datasets ProCo Studio knows, and where it looks for them.</summary>
public sealed class DatasetCatalog
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the IDX files.</summary>
    public const string DebianFashionMnistDir = "/usr/share/datasets/fashion-mnist";

    /// <summary>Dataset keys in display order.</summary>
    public static readonly IReadOnlyList<string> Keys = ["fashion-mnist", "cifar10", "cifar100"];

    private readonly string _datasetsDir;
    private readonly IReadOnlyDictionary<string, string> _overrides;
    private readonly bool _searchSystemFolders;

    /// <param name="datasetsDir">Root folder of downloaded or copied datasets.</param>
    /// <param name="overrides">Explicit folders per dataset key, searched first.</param>
    /// <param name="searchSystemFolders">Also look where distribution packages install datasets.</param>
    public DatasetCatalog(string datasetsDir, IReadOnlyDictionary<string, string>? overrides = null,
        bool searchSystemFolders = true)
    {
        _datasetsDir = Path.GetFullPath(datasetsDir);
        _overrides = overrides ?? new Dictionary<string, string>();
        _searchSystemFolders = searchSystemFolders;
    }

    /// <summary>Root folder of datasets.</summary>
    public string DatasetsDir => _datasetsDir;

    /// <summary>Normalises user spellings (CIFAR-100, cifar_100, fmnist) to a key, or throws.</summary>
    public static string NormalizeKey(string name)
    {
        var key = name.Trim().ToLowerInvariant().Replace("_", "-");
        return key switch
        {
            "fashion-mnist" or "fashionmnist" or "fmnist" => "fashion-mnist",
            "cifar10" or "cifar-10" => "cifar10",
            "cifar100" or "cifar-100" => "cifar100",
            _ => throw new ArgumentException($"Unknown dataset '{name}'. Known datasets: {string.Join(", ", Keys)}."),
        };
    }

    /// <summary>Looks for every known dataset.</summary>
    public IReadOnlyList<DatasetStatus> Probe() => Keys.Select(Probe).ToList();

    /// <summary>Looks for one dataset.</summary>
    public DatasetStatus Probe(string key)
    {
        key = NormalizeKey(key);
        var searched = new List<string>();
        foreach (var (folder, format, files) in Candidates(key))
        {
            searched.Add(folder);
            if (files.All(f => FindFile(folder, f) is not null))
                return new DatasetStatus(key, true, folder, format, searched, "");
        }
        return new DatasetStatus(key, false, null, null, searched, Advice(key));
    }

    /// <summary>Finds <paramref name="name"/> in <paramref name="folder"/>, also as <c>name.gz</c>.</summary>
    public static string? FindFile(string folder, string name)
    {
        var plain = Path.Combine(folder, name);
        if (File.Exists(plain)) return plain;
        var gz = plain + ".gz";
        return File.Exists(gz) ? gz : null;
    }

    private IEnumerable<(string Folder, string Format, string[] Files)> Candidates(string key)
    {
        _overrides.TryGetValue(key, out var custom);
        switch (key)
        {
            case "fashion-mnist":
                string[] idx = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];
                if (custom is not null) yield return (Path.GetFullPath(custom), "idx", idx);
                yield return (Path.Combine(_datasetsDir, "fashion-mnist"), "idx", idx);
                if (_searchSystemFolders) yield return (DebianFashionMnistDir, "idx", idx);
                break;
            case "cifar10":
                string[] c10Bin = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"];
                string[] c10Py = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"];
                if (custom is not null)
                {
                    yield return (Path.GetFullPath(custom), "binary", c10Bin);
                    yield return (Path.GetFullPath(custom), "python", c10Py);
                }
                yield return (Path.Combine(_datasetsDir, "cifar-10-batches-bin"), "binary", c10Bin);
                yield return (Path.Combine(_datasetsDir, "cifar-10-batches-py"), "python", c10Py);
                break;
            case "cifar100":
                string[] c100Bin = ["train.bin", "test.bin"];
                string[] c100Py = ["train", "test"];
                if (custom is not null)
                {
                    yield return (Path.GetFullPath(custom), "binary", c100Bin);
                    yield return (Path.GetFullPath(custom), "python", c100Py);
                }
                yield return (Path.Combine(_datasetsDir, "cifar-100-binary"), "binary", c100Bin);
                yield return (Path.Combine(_datasetsDir, "cifar-100-python"), "python", c100Py);
                break;
        }
    }

    private string Advice(string key) => key switch
    {
        "fashion-mnist" =>
            $"Install the Debian package 'dataset-fashion-mnist' (files land in {DebianFashionMnistDir}), " +
            $"or copy the four IDX files (train-images-idx3-ubyte.gz ...) into {Path.Combine(_datasetsDir, "fashion-mnist")}.",
        "cifar10" =>
            $"Extract cifar-10-binary.tar.gz or cifar-10-python.tar.gz into {_datasetsDir} " +
            "(giving cifar-10-batches-bin/ or cifar-10-batches-py/).",
        _ =>
            $"Extract cifar-100-binary.tar.gz or cifar-100-python.tar.gz into {_datasetsDir} " +
            "(giving cifar-100-binary/ or cifar-100-python/).",
    };
}
