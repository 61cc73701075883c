using Microsoft.Data.Sqlite;
using Npgsql;

namespace ProCo.Data;

/// <summary>The engines the run database can live in.</summary>
public enum DatabaseProvider
{
    /// <summary>One file in the data folder: the embedded default, for one host.</summary>
    Sqlite,

    /// <summary>A PostgreSQL server shared by every web instance and worker of a lab.</summary>
    Postgres,
}

/// <summary>Where the run database is: its engine, its connection string, and the migrations kept for that engine.</summary>
public sealed record RunDatabase(DatabaseProvider Provider, string ConnectionString)
{
    /// <summary>The SQLite file at <paramref name="path"/>.</summary>
    public static RunDatabase SqliteFile(string path) => new(DatabaseProvider.Sqlite, new SqliteConnectionStringBuilder
    {
        DataSource = path,
        // Microsoft.Data.Sqlite retries a busy database until this many seconds have passed.
        DefaultTimeout = 30,
        Pooling = true,
    }.ToString());

    /// <summary>A PostgreSQL database; the connection string is checked here, so a typo fails at startup with its reason.</summary>
    public static RunDatabase Postgres(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.Host))
            throw new ArgumentException("The PostgreSQL connection string names no Host.", nameof(connectionString));
        return new RunDatabase(DatabaseProvider.Postgres, builder.ConnectionString);
    }

    /// <summary>The assembly that holds this engine's EF Core migrations (kept in step: one migration per model change in each).</summary>
    public string MigrationsAssembly => Provider == DatabaseProvider.Sqlite ? "ProCo.Migrations" : "ProCo.Migrations.Postgres";

    /// <summary>What to show of the database (no password): the file, or host, port and database.</summary>
    public string Describe()
    {
        if (Provider == DatabaseProvider.Sqlite) return new SqliteConnectionStringBuilder(ConnectionString).DataSource;
        var pg = new NpgsqlConnectionStringBuilder(ConnectionString);
        return $"postgres://{pg.Host}:{pg.Port}/{pg.Database}";
    }
}
