using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ProCo.Data;

/// <summary>Brings a run database to the latest schema through migrations (never EnsureCreated).</summary>
public static class DatabaseMigrator
{
    // Any number, the same in every process: the key of the advisory lock migrations run under.
    private const long PostgresMigrationLock = 0x50_72_6F_43_6F_4D_69_67; // "ProCoMig"

    /// <summary>
    /// Applies pending migrations and switches a SQLite file to WAL journaling. On PostgreSQL, web
    /// instances and workers of many hosts start together: they migrate one at a time under a
    /// session advisory lock, so each migration is applied once (EF Core's own check is not enough
    /// there: two processes that both read the history before either wrote it both create the tables).
    /// </summary>
    public static async Task MigrateAsync(ProCoDbContext db, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (!db.Database.IsNpgsql())
        {
            await db.Database.MigrateAsync(cancellationToken);
            // WAL lets the web app read while a trainer writes; the mode is stored in the file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            await BuildSummariesAsync(db, cancellationToken);
            return;
        }
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            // Waits as long as another process migrates (a try every half second, never a command timeout).
            while (!await TryLockAsync(db, cancellationToken)) await Task.Delay(500, cancellationToken);
            try
            {
                // The history table first: on a new database EF otherwise reads it before creating it, and the provider
                // logs that failed read as an error at every first start.
                await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(cancellationToken);
                await db.Database.MigrateAsync(cancellationToken);
                await BuildSummariesAsync(db, cancellationToken);
            }
            finally
            {
                await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_unlock({PostgresMigrationLock})", CancellationToken.None);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    // Series stored before summaries existed are listed by their migration as not built; built here, once.
    private static async Task BuildSummariesAsync(ProCoDbContext db, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await MetricSummaries.BuildPendingAsync(db.Database.GetDbConnection(), cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task<bool> TryLockAsync(ProCoDbContext db, CancellationToken cancellationToken) =>
        await db.Database.SqlQueryRaw<bool>($"SELECT pg_try_advisory_lock({PostgresMigrationLock}) AS \"Value\"").SingleAsync(cancellationToken);

    /// <summary>Applied and pending migration names.</summary>
    public static async Task<(IReadOnlyList<string> Applied, IReadOnlyList<string> Pending)> StateAsync(
        ProCoDbContext db, CancellationToken cancellationToken = default)
    {
        var applied = (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).ToList();
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        return (applied, pending);
    }
}
