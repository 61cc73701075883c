using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProCo.Data.Entities;

namespace ProCo.Data.Tests;

public class MigrationTests
{
    private static ProCoDbContext Open(string path) =>
        new(new DbContextOptionsBuilder<ProCoDbContext>().UseRunDatabase(path).Options);

    [Fact]
    public async Task Migrate_OnNewFile_AppliesEveryMigrationAndSwitchesToWal()
    {
        using var folder = new TempFolder();
        var path = folder.File("runs.db");
        await using (var db = Open(path))
        {
            await DatabaseMigrator.MigrateAsync(db);
            var (applied, pending) = await DatabaseMigrator.StateAsync(db);
            Assert.Empty(pending);
            Assert.Contains(applied, name => name.EndsWith("_Initial", StringComparison.Ordinal));
        }

        await using var connection = new SqliteConnection($"Data Source={path}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Model_HasNoChangesMissingAMigration()
    {
        using var folder = new TempFolder();
        await using var db = Open(folder.File("runs.db"));
        Assert.False(db.Database.HasPendingModelChanges(),
            "The EF model changed without a migration: run 'dotnet ef migrations add <Name> --project migrations --startup-project migrations --output-dir Schema'.");
    }

    [Fact]
    public async Task MetricPoint_SameRunSeriesAndStep_IsRejectedTwice()
    {
        using var folder = new TempFolder();
        var path = folder.File("runs.db");
        await using var db = Open(path);
        await DatabaseMigrator.MigrateAsync(db);
        var run = new Run { Name = "r", Dataset = "fashion-mnist", CreatedAt = DateTimeOffset.UtcNow };
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        db.MetricPoints.Add(new MetricPoint { RunId = run.Id, Series = "CE_loss/train", Step = 1, Value = 2.5 });
        await db.SaveChangesAsync();

        await using var other = Open(path);
        other.MetricPoints.Add(new MetricPoint { RunId = run.Id, Series = "CE_loss/train", Step = 1, Value = 9 });
        await Assert.ThrowsAsync<DbUpdateException>(() => other.SaveChangesAsync());
        Assert.Equal(2.5, (await Open(path).MetricPoints.SingleAsync()).Value);
    }

    [Fact]
    public async Task Run_TimesAndStatus_RoundTripThroughSqlite()
    {
        using var folder = new TempFolder();
        var path = folder.File("runs.db");
        var created = new DateTimeOffset(2026, 11, 27, 10, 30, 0, TimeSpan.FromHours(2));
        await using (var db = Open(path))
        {
            await DatabaseMigrator.MigrateAsync(db);
            db.Runs.Add(new Run { Name = "r", Dataset = "cifar100", Status = RunStatus.Interrupted, CreatedAt = created });
            await db.SaveChangesAsync();
        }
        await using var read = Open(path);
        var run = await read.Runs.SingleAsync(r => r.CreatedAt > created.AddSeconds(-1));
        Assert.Equal(RunStatus.Interrupted, run.Status);
        Assert.Equal(created.UtcTicks, run.CreatedAt.UtcTicks);
    }
}
