using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProCo.Data;
using ProCo.Tests;

namespace ProCo.Web.Tests;

/// <summary>
/// Where a test's processes keep runs and jobs: the embedded default (SQLite files in the data
/// folder) or a new database on the tests' own PostgreSQL server. <see cref="Args"/> points a
/// `proco serve` or `proco worker` at it; <see cref="Scalar"/> reads it directly.
/// </summary>
public sealed class TestStore : IDisposable
{
    private readonly string? _connectionString;
    private readonly List<string> _folders = [];

    public TestStore(string engine)
    {
        Engine = engine;
        _connectionString = engine switch
        {
            "sqlite" => null,
            "postgres" => LocalServers.NewPostgresDatabase(),
            _ => throw new ArgumentException($"No engine '{engine}'.", nameof(engine)),
        };
        DataDir = NewDataDir();
    }

    /// <summary>The engines the run-store and job tests run on.</summary>
    public static TheoryData<string> Engines => ["sqlite", "postgres"];

    public string Engine { get; }

    /// <summary>The data folder of the first process (and of every process on SQLite).</summary>
    public string DataDir { get; }

    /// <summary>Configuration that points a process at this store.</summary>
    public string[] Args => _connectionString is null ? [] : ["--ProCo:Database=postgres", $"--ProCo:ConnectionString={_connectionString}"];

    /// <summary>The same as <see cref="Args"/>, as settings of an in-process host.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Settings => Args.Select(a => a[2..].Split('=', 2)).Select(p => KeyValuePair.Create(p[0], (string?)p[1]));

    /// <summary>Another host's own data folder (its local files); on PostgreSQL it shares only the database.</summary>
    public string NewDataDir()
    {
        var folder = Path.Combine(Path.GetTempPath(), "proco-store-" + Guid.NewGuid().ToString("N"));
        _folders.Add(folder);
        return folder;
    }

    public RunDatabase Database => _connectionString is null
        ? RunDatabase.SqliteFile(Path.Combine(DataDir, "proco.db"))
        : RunDatabase.Postgres(_connectionString);

    /// <summary>One value of a query; names are quoted ("Runs"."Status"), as both engines read them.</summary>
    public object? Value(string sql)
    {
        using var db = new ProCoDbContext(new DbContextOptionsBuilder<ProCoDbContext>().UseRunDatabase(Database).Options);
        db.Database.OpenConnection();
        using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public long Scalar(string sql) => Convert.ToInt64(Value(sql), System.Globalization.CultureInfo.InvariantCulture);

    public string Text(string sql) => (string)Value(sql)!;

    /// <summary>Stored values of one series of a run: one per step (the key is (run, series, step)), so a run trained once has exactly its steps.</summary>
    public long Count(long runId, string series) =>
        Scalar($"SELECT COUNT(*) FROM \"MetricPoints\" WHERE \"RunId\" = {runId} AND \"Series\" = '{series}'");

    /// <summary>
    /// Hands a run's Hangfire job to the workers once more while its first delivery still runs, as the job storage does
    /// when a job outlives its invisibility timeout: a second, unfetched entry of the same job in the run's queue
    /// (Hangfire's SQLite file in the data folder, or the schema <c>hangfire</c> of the PostgreSQL database).
    /// </summary>
    public void DeliverAgain(long runId)
    {
        var jobId = Scalar($"SELECT \"JobId\" FROM \"Runs\" WHERE \"Id\" = {runId}");
        var queue = Text($"SELECT \"Queue\" FROM \"Runs\" WHERE \"Id\" = {runId}");
        if (_connectionString is not null)
        {
            Value($"INSERT INTO hangfire.jobqueue (jobid, queue) VALUES ({jobId}, '{queue}')");
            return;
        }
        using var connection = new SqliteConnection($"Data Source={Path.Combine(DataDir, "hangfire.db")}");
        connection.Open();
        using var command = connection.CreateCommand();
        // FetchedAt 0 (DateTime.MinValue) is how the storage marks an entry nobody holds.
        command.CommandText = "PRAGMA busy_timeout = 30000; INSERT INTO \"JobQueue\" (\"JobId\", \"Queue\", \"FetchedAt\") VALUES ($job, $queue, 0)";
        command.Parameters.AddWithValue("$job", jobId);
        command.Parameters.AddWithValue("$queue", queue);
        command.ExecuteNonQuery();
    }

    /// <summary>Steps of one epoch of a run.</summary>
    public long StepsPerEpoch(long runId) => Scalar($"SELECT \"StepsPerEpoch\" FROM \"Runs\" WHERE \"Id\" = {runId}");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var folder in _folders)
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }
}
