using Microsoft.Extensions.Logging;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore;

namespace ProCo.Data;

/// <summary>Registers the run database.</summary>
public static class DataServiceCollectionExtensions
{
    private static readonly QueryOrigin Origin = new();

    /// <summary>Configures options for the run database.</summary>
    public static DbContextOptionsBuilder<ProCoDbContext> UseRunDatabase(this DbContextOptionsBuilder<ProCoDbContext> options, RunDatabase database)
    {
        ((DbContextOptionsBuilder)options).UseRunDatabase(database);
        return options;
    }

    /// <summary>The SQLite file at <paramref name="databasePath"/>.</summary>
    public static DbContextOptionsBuilder<ProCoDbContext> UseRunDatabase(this DbContextOptionsBuilder<ProCoDbContext> options, string databasePath) =>
        options.UseRunDatabase(RunDatabase.SqliteFile(databasePath));

    /// <summary>
    /// The engine's provider with its migrations assembly and the commands' <see cref="QueryOrigin"/>; SQLite also gets
    /// its connection pragmas.
    /// </summary>
    public static DbContextOptionsBuilder UseRunDatabase(this DbContextOptionsBuilder options, RunDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        return database.Provider switch
        {
            DatabaseProvider.Sqlite => options.UseSqlite(database.ConnectionString, sqlite => sqlite.MigrationsAssembly(database.MigrationsAssembly))
                .AddInterceptors(new SqlitePragmas(), Origin)
                // SQLite rebuilds a table to change its keys, and switches foreign keys off around it with a PRAGMA that
                // cannot run in a transaction; the rebuild itself is transactional, so a start interrupted there loses
                // nothing. EF warns of it at every first start: said at debug level, not as a warning to a newcomer.
                .ConfigureWarnings(warnings => warnings.Log((RelationalEventId.NonTransactionalMigrationOperationWarning, LogLevel.Debug))),
            _ => options.UseNpgsql(database.ConnectionString, npgsql => npgsql.MigrationsAssembly(database.MigrationsAssembly))
                .AddInterceptors(Origin),
        };
    }
}
