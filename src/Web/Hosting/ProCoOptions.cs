using ProCo.Data;
using ProCo.Training.Datasets;

namespace ProCo.Web.Hosting;

/// <summary>The "ProCo" configuration section.</summary>
public sealed class ProCoOptions
{
    public const string Section = "ProCo";

    /// <summary>Everything the app writes lives here: run database, Hangfire storage, checkpoints (unless the options below move them).</summary>
    public string DataDir { get; set; } = "data";

    /// <summary>
    /// Where runs and jobs are stored: <c>sqlite</c> (files in the data folder, the embedded default, one
    /// host) or <c>postgres</c> (the server named by <see cref="ConnectionString"/>, shared by every web
    /// instance and worker; Hangfire keeps its jobs there in its own schema).
    /// </summary>
    public string Database { get; set; } = "sqlite";

    /// <summary>The PostgreSQL connection string when <see cref="Database"/> is <c>postgres</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// A Redis server (StackExchange.Redis configuration, e.g. <c>redis:6379</c>) that carries live
    /// points and run changes between web instances and workers; empty on one host, where the web
    /// app follows other processes' runs in the database.
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>
    /// The artifact store: checkpoints, imported files, the weights library, the dataset registry and
    /// the sign-in keys. Defaults to the data folder; on many hosts, a folder every web instance and
    /// worker mounts at this path (e.g. NFS), so a checkpoint one worker writes resumes on another and
    /// downloads from any web instance.
    /// </summary>
    public string? ArtifactsDir { get; set; }

    /// <summary>Root of datasets; defaults to <c>DataDir/datasets</c>.</summary>
    public string? DatasetsDir { get; set; }

    /// <summary>Explicit folder per dataset key (fashion-mnist, cifar10, cifar100).</summary>
    public Dictionary<string, string> Datasets { get; set; } = [];

    /// <summary>Also look for datasets where distribution packages install them (/usr/share/datasets).</summary>
    public bool SearchSystemDatasets { get; set; } = true;

    /// <summary>When not empty, image datasets may be registered only under these folders (from the Datasets page or the API; the CLI is the server's own operator).</summary>
    public List<string> DatasetRoots { get; set; } = [];

    /// <summary>Folder of the paper authors' TensorBoard logs for "Add the paper's runs"; defaults to the copy shipped beside the program (<see cref="DataPaths.ShippedReferenceLogs"/>).</summary>
    public string? ReferenceLogsDir { get; set; }

    /// <summary>Training workers in this process; defaults to the number of training devices.</summary>
    public int? Workers { get; set; }

    /// <summary>
    /// The devices this process trains on, one run each, comma-separated (<c>cuda:0,cuda:1</c>, or
    /// <c>cpu</c>); defaults to every CUDA device, else <see cref="Workers"/> CPU slots.
    /// </summary>
    public string? Devices { get; set; }

    /// <summary>The kinds of runs this process takes: <c>gpu</c>, <c>cpu</c> or both (<c>gpu,cpu</c>); defaults to the kinds of its devices, and CPU runs too on a GPU host.</summary>
    public string? Queue { get; set; }

    /// <summary>CPU threads of each training job; defaults to the cores divided among the workers (all of them for one worker).</summary>
    public int? TrainingThreads { get; set; }

    /// <summary>Limits of TensorBoard imports (<c>ProCo:Import</c>).</summary>
    public ImportOptions Import { get; set; } = new();

    /// <summary>Accounts (<c>ProCo:Auth</c>).</summary>
    public AuthOptions Auth { get; set; } = new();
}

/// <summary>Accounts: off, a server on loopback is open to whoever uses this machine; on, every request signs in.</summary>
public sealed class AuthOptions
{
    /// <summary>Sign-in required (cookie for the browser, API tokens for scripts and the CLI). Required to listen beyond loopback.</summary>
    public bool Enabled { get; set; }
}

/// <summary>Limits of TensorBoard imports: scalar logs are small, so these only keep a stray upload from filling the disk or the database.</summary>
public sealed class ImportOptions
{
    /// <summary>Bytes of one upload, all files together (the web server accepts that much on the import endpoint).</summary>
    public long MaxUploadBytes { get; set; } = 256L << 20;

    /// <summary>Scalars of one imported run.</summary>
    public int MaxPoints { get; set; } = 5_000_000;

    /// <summary>Series (distinct tags) of one imported run.</summary>
    public int MaxSeries { get; set; } = 1000;
}

/// <summary>The data folder layout, resolved to absolute paths once at startup.</summary>
public sealed class DataPaths
{
    public DataPaths(ProCoOptions options)
    {
        Options = options;
        Root = Path.GetFullPath(options.DataDir);
        DatasetsDir = Path.GetFullPath(options.DatasetsDir ?? Path.Combine(Root, "datasets"));
        ReferenceLogsDir = Path.GetFullPath(options.ReferenceLogsDir ?? ShippedReferenceLogs);
        Artifacts = string.IsNullOrWhiteSpace(options.ArtifactsDir) ? Root : Path.GetFullPath(options.ArtifactsDir);
    }

    public ProCoOptions Options { get; }

    /// <summary>This host's data folder: the SQLite files, datasets and reference logs by default.</summary>
    public string Root { get; }

    /// <summary>The artifact store's folder (<c>ProCo:ArtifactsDir</c>, else the data folder): paths stored in the database are relative to it.</summary>
    public string Artifacts { get; }

    public string DatasetsDir { get; }
    public string ReferenceLogsDir { get; }

    /// <summary>The paper authors' seven CIFAR runs as the program ships them (src/Web/reference-logs, Apache-2.0, see its NOTICE).</summary>
    public static string ShippedReferenceLogs => Path.Combine(AppContext.BaseDirectory, "reference-logs");
    public string ImportsDir => Path.Combine(Artifacts, "imports");

    /// <summary>The run database: the SQLite file in the data folder, or the configured PostgreSQL database.</summary>
    public RunDatabase Database => _database ??= ResolveDatabase(Options, Path.Combine(Root, "proco.db"));
    private RunDatabase? _database;

    /// <summary>The run database's file when it is SQLite.</summary>
    public string? RunDatabaseFile => Database.Provider == DatabaseProvider.Sqlite ? Path.Combine(Root, "proco.db") : null;
    public string HangfireDatabase => Path.Combine(Root, "hangfire.db");
    public string RunsDir => Path.Combine(Artifacts, "runs");
    public string WeightsDir => Path.Combine(Artifacts, "weights");

    /// <summary>The keys that protect sign-in cookies and forms: shared, so any web instance reads what another wrote.</summary>
    public string KeysDir => Path.Combine(Artifacts, "keys");

    /// <summary>The registered image datasets (<c>proco dataset add</c>, the Datasets page), shared by every host.</summary>
    public string DatasetRegistryFile => Path.Combine(Artifacts, "datasets.json");

    /// <summary>The dataset catalog these options describe.</summary>
    public DatasetCatalog CreateDatasetCatalog() =>
        new(DatasetsDir, Options.Datasets, Options.SearchSystemDatasets, new DatasetRegistry(DatasetRegistryFile));

    private static RunDatabase ResolveDatabase(ProCoOptions options, string sqliteFile)
    {
        switch (options.Database.Trim().ToLowerInvariant())
        {
            case "sqlite":
                return RunDatabase.SqliteFile(sqliteFile);
            case "postgres" or "postgresql":
                if (string.IsNullOrWhiteSpace(options.ConnectionString))
                    throw new StartupRefusedException("ProCo:Database is postgres but ProCo:ConnectionString is empty: give it the server, " +
                                                      "e.g. \"Host=db;Port=5432;Database=proco;Username=proco;Password=...\".");
                try
                {
                    return RunDatabase.Postgres(options.ConnectionString);
                }
                catch (ArgumentException e)
                {
                    throw new StartupRefusedException($"ProCo:ConnectionString cannot be read: {e.Message}");
                }
            default:
                throw new StartupRefusedException($"ProCo:Database is '{options.Database}'; it is 'sqlite' (the default) or 'postgres'.");
        }
    }

    /// <summary>Creates the folders the app writes to.</summary>
    public void EnsureCreated()
    {
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(RunsDir);
    }
}
