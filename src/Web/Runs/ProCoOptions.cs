namespace ProCo.Web.Runs;

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

    /// <summary>
    /// A folder URL serving the built-in datasets' official files under their published names (a
    /// lab's mirror), used by downloads from the Datasets page; checksums are still the published ones.
    /// </summary>
    public string? DownloadMirror { get; set; }

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
