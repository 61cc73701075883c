using Microsoft.EntityFrameworkCore;
using ProCo.Tests;

// One test class at a time: the concurrency test measures readers against writers for a few
// seconds, and on two cores a PostgreSQL migration race in a class beside it starved its readers.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace ProCo.Data.Tests;

/// <summary>
/// A fresh run database on one engine: a SQLite file in a temporary folder, or a new database on
/// the tests' own PostgreSQL server (<see cref="LocalServers"/>). Theories name the engine.
/// </summary>
public sealed class TestDatabase : IDisposable
{
    private readonly TempFolder _folder = new();

    public TestDatabase(string engine) => Database = engine switch
    {
        "sqlite" => RunDatabase.SqliteFile(_folder.File("runs.db")),
        "postgres" => RunDatabase.Postgres(LocalServers.NewPostgresDatabase()),
        _ => throw new ArgumentException($"No engine '{engine}'.", nameof(engine)),
    };

    /// <summary>The engines every store test runs on.</summary>
    public static TheoryData<string> Engines => ["sqlite", "postgres"];

    public RunDatabase Database { get; }

    public ProCoDbContext Open() => new(new DbContextOptionsBuilder<ProCoDbContext>().UseRunDatabase(Database).Options);

    /// <summary>One value of a query (identifiers quoted, as both engines read them).</summary>
    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var db = Open();
        await db.Database.OpenConnectionAsync();
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose() => _folder.Dispose();
}
