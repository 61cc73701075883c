using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace ProCo.Data;

/// <summary>Registers the run database.</summary>
public static class DataServiceCollectionExtensions
{
    /// <summary>The assembly that holds the EF Core migrations.</summary>
    public const string MigrationsAssembly = "ProCo.Migrations";

    /// <summary>Builds the SQLite connection string of a run database file.</summary>
    public static string ConnectionString(string databasePath) => new SqliteConnectionStringBuilder
    {
        DataSource = databasePath,
        // Microsoft.Data.Sqlite retries a busy database until this many seconds have passed.
        DefaultTimeout = 30,
        Pooling = true,
    }.ToString();

    /// <summary>Configures options for the run database at <paramref name="databasePath"/>.</summary>
    public static DbContextOptionsBuilder<ProCoDbContext> UseRunDatabase(
        this DbContextOptionsBuilder<ProCoDbContext> options, string databasePath)
    {
        ((DbContextOptionsBuilder)options).UseRunDatabase(databasePath);
        return options;
    }

    /// <summary>SQLite at <paramref name="databasePath"/> with our migrations assembly and connection pragmas.</summary>
    public static DbContextOptionsBuilder UseRunDatabase(this DbContextOptionsBuilder options, string databasePath) =>
        options.UseSqlite(ConnectionString(databasePath), sqlite => sqlite.MigrationsAssembly(MigrationsAssembly))
            .AddInterceptors(new SqlitePragmas());
}
