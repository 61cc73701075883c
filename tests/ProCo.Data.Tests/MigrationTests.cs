using Microsoft.Extensions.Logging;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using ProCo.Data.Entities;

namespace ProCo.Data.Tests;

public class MigrationTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Migrate_OnNewDatabase_AppliesEveryMigration_TwiceChangesNothing(string engine)
    {
        using var store = new TestDatabase(engine);
        await using (var db = store.Open())
        {
            await DatabaseMigrator.MigrateAsync(db);
            var (applied, pending) = await DatabaseMigrator.StateAsync(db);
            Assert.Empty(pending);
            Assert.Contains(applied, name => name.EndsWith("_Initial", StringComparison.Ordinal));
            // What the app does at every start (web instances and workers alike).
            await DatabaseMigrator.MigrateAsync(db);
            Assert.Equal(applied, (await DatabaseMigrator.StateAsync(db)).Applied);
        }
        if (engine == "sqlite") Assert.Equal("wal", await store.ScalarAsync<string>("PRAGMA journal_mode;"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Migrate_OnNewDatabase_LogsNoWarning(string engine)
    {
        // What a newcomer sees at the first start: SQLite's table rebuilds once printed two long warnings of a
        // "partially applied state" that cannot happen (the rebuild is transactional).
        using var store = new TestDatabase(engine);
        var logs = new CapturedLogs();
        using var factory = Microsoft.Extensions.Logging.LoggerFactory.Create(builder => builder.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        await using (var db = new ProCoDbContext(new DbContextOptionsBuilder<ProCoDbContext>().UseRunDatabase(store.Database).UseLoggerFactory(factory).Options))
            await DatabaseMigrator.MigrateAsync(db);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Information); // the capture works: EF logs its commands
        Assert.Empty(logs.Entries.Where(e => e.Level >= LogLevel.Warning).Select(e => $"{e.Level} {e.Category}: {e.Message}"));
    }

    private sealed class CapturedLogs : ILoggerProvider
    {
        public System.Collections.Concurrent.ConcurrentQueue<(LogLevel Level, string Category, string Message)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturedLogs owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Entries.Enqueue((logLevel, category, formatter(state, exception)));
        }
    }

    [Fact]
    public async Task Migrate_FromSixProcessesAtOnce_AppliesEachMigrationOnce()
    {
        // Web instances and workers of a lab start together against one PostgreSQL database (three
        // fresh databases: the race, when there is one, does not show every time).
        for (var round = 0; round < 3; round++)
        {
            using var store = new TestDatabase("postgres");
            using var start = new Barrier(6);
            await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
            {
                await using var db = store.Open();
                start.SignalAndWait();
                await DatabaseMigrator.MigrateAsync(db);
            })));
            await using var check = store.Open();
            Assert.Empty((await DatabaseMigrator.StateAsync(check)).Pending);
            Assert.Equal((long)check.Database.GetMigrations().Count(), await store.ScalarAsync<long>("SELECT COUNT(*) FROM \"__EFMigrationsHistory\""));
        }
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Model_HasNoChangesMissingAMigration(string engine)
    {
        // Each engine keeps its own migrations, and each must follow every change of the model.
        using var store = new TestDatabase(engine);
        await using var db = store.Open();
        Assert.False(db.Database.HasPendingModelChanges(),
            $"The EF model changed without a {engine} migration: run 'dotnet ef migrations add <Name> --project {(engine == "sqlite" ? "migrations" : "migrations/Postgres")} " +
            $"--startup-project {(engine == "sqlite" ? "migrations" : "migrations/Postgres")} --output-dir Schema' (see docs/ARCHITECTURE.md, Where to add).");
    }

    [Fact]
    public async Task BothEngines_MigratedFromScratch_HaveTheSameTablesColumnsAndNullability()
    {
        // What each engine's migrations build (not the model they were made from): a migration
        // added to one project only, or written differently, shows here.
        using var sqlite = new TestDatabase("sqlite");
        using var postgres = new TestDatabase("postgres");
        await using (var a = sqlite.Open()) await DatabaseMigrator.MigrateAsync(a);
        await using (var b = postgres.Open()) await DatabaseMigrator.MigrateAsync(b);
        var lite = await ColumnsAsync(sqlite, """
            SELECT m.name || '.' || p.name || ':' || CASE WHEN p."notnull" = 1 OR p.pk > 0 THEN 'required' ELSE 'null' END
            FROM sqlite_master m JOIN pragma_table_info(m.name) p
            WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%' AND m.name NOT LIKE '__EF%'
            """);
        var pg = await ColumnsAsync(postgres, """
            SELECT table_name || '.' || column_name || ':' || CASE WHEN is_nullable = 'NO' THEN 'required' ELSE 'null' END
            FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '__EF%'
            """);
        Assert.Contains("Workers.HeartbeatAt:required", lite);
        Assert.Equal(lite, pg);
    }

    private static async Task<string[]> ColumnsAsync(TestDatabase store, string sql)
    {
        await using var db = store.Open();
        await db.Database.OpenConnectionAsync();
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        var columns = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) columns.Add(reader.GetString(0));
        return [.. columns.Order(StringComparer.Ordinal)];
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task MetricPoint_SameRunSeriesAndStep_IsRejectedTwice(string engine)
    {
        using var store = new TestDatabase(engine);
        await using var db = store.Open();
        await DatabaseMigrator.MigrateAsync(db);
        var run = new Run { Name = "r", Dataset = "fashion-mnist", CreatedAt = DateTimeOffset.UtcNow };
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        db.MetricPoints.Add(new MetricPoint { RunId = run.Id, Series = "CE_loss/train", Step = 1, Value = 2.5 });
        await db.SaveChangesAsync();

        await using var other = store.Open();
        other.MetricPoints.Add(new MetricPoint { RunId = run.Id, Series = "CE_loss/train", Step = 1, Value = 9 });
        await Assert.ThrowsAsync<DbUpdateException>(() => other.SaveChangesAsync());
        await using var read = store.Open();
        Assert.Equal(2.5, (await read.MetricPoints.SingleAsync()).Value);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Run_TimesAndStatus_RoundTrip(string engine)
    {
        using var store = new TestDatabase(engine);
        var created = new DateTimeOffset(2026, 11, 27, 10, 30, 0, TimeSpan.FromHours(2));
        await using (var db = store.Open())
        {
            await DatabaseMigrator.MigrateAsync(db);
            db.Runs.Add(new Run { Name = "r", Dataset = "cifar100", Status = RunStatus.Interrupted, CreatedAt = created });
            await db.SaveChangesAsync();
        }
        await using var read = store.Open();
        var run = await read.Runs.SingleAsync(r => r.CreatedAt > created.AddSeconds(-1));
        Assert.Equal(RunStatus.Interrupted, run.Status);
        Assert.Equal(created.UtcTicks, run.CreatedAt.UtcTicks);
    }
}
