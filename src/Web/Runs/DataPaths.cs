using ProCo.Data;
using ProCo.Training.Datasets;

namespace ProCo.Web.Runs;

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
        new(DatasetsDir, Options.Datasets, Options.SearchSystemDatasets, new DatasetRegistry(DatasetRegistryFile, Options.DatasetRoots));

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
