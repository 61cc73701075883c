using Microsoft.EntityFrameworkCore;

namespace ProCo.Data;

/// <summary>Brings a run database to the latest schema through migrations (never EnsureCreated).</summary>
public static class DatabaseMigrator
{
    /// <summary>
    /// Applies pending migrations (EF Core takes the engine's migration lock, so web instances and
    /// workers starting together apply each migration once) and switches a SQLite file to WAL journaling.
    /// </summary>
    public static async Task MigrateAsync(ProCoDbContext db, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        await db.Database.MigrateAsync(cancellationToken);
        // WAL lets the web app read while a trainer writes; the mode is stored in the file.
        if (db.Database.IsSqlite()) await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
    }

    /// <summary>Applied and pending migration names.</summary>
    public static async Task<(IReadOnlyList<string> Applied, IReadOnlyList<string> Pending)> StateAsync(
        ProCoDbContext db, CancellationToken cancellationToken = default)
    {
        var applied = (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).ToList();
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        return (applied, pending);
    }
}
