using Microsoft.EntityFrameworkCore;
using ProCo.Data.Entities;

namespace ProCo.Data.Tests;

public class ConcurrencyTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task WritersAndReaders_HammeringTheDatabase_NeverSeeALockError_AndLeaveItIntact(string engine)
    {
        using var store = new TestDatabase(engine);
        var runIds = new List<long>();
        await using (var db = store.Open())
        {
            await DatabaseMigrator.MigrateAsync(db);
            for (var i = 0; i < 4; i++)
            {
                var run = new Run { Name = $"r{i}", Dataset = "cifar10", CreatedAt = DateTimeOffset.UtcNow };
                db.Runs.Add(run);
                await db.SaveChangesAsync();
                runIds.Add(run.Id);
            }
        }

        // Six seconds of contention at least; on a loaded machine the pool may start the last tasks late, so the
        // writers keep going until the readers have read under them too (Microsoft.Data.Sqlite's async calls run
        // synchronously, each task holds a pool thread), up to a minute.
        var stop = DateTime.UtcNow.AddSeconds(6);
        var hardStop = DateTime.UtcNow.AddSeconds(60);
        var errors = new List<Exception>();
        long batches = 0, reads = 0;
        bool Going() => DateTime.UtcNow < hardStop && (DateTime.UtcNow < stop || Interlocked.Read(ref reads) <= 20 || Interlocked.Read(ref batches) <= 20);
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Factory.StartNew(async () =>
        {
            try
            {
                while (Going())
                {
                    await using var db = store.Open();
                    await db.MetricPoints.Where(p => p.Series == "CE_loss/train").GroupBy(p => p.RunId).Select(g => g.Max(p => p.Step)).ToListAsync();
                    await db.Runs.OrderByDescending(r => r.CreatedAt).Take(50).ToListAsync();
                    Interlocked.Increment(ref reads);
                }
            }
            catch (Exception e)
            {
                lock (errors) errors.Add(e);
            }
        }, TaskCreationOptions.LongRunning).Unwrap()).ToList();
        var writers = runIds.Select(runId => Task.Factory.StartNew(async () =>
        {
            var step = 0L;
            try
            {
                while (Going())
                {
                    var points = Enumerable.Range(0, 200).Select(_ => new MetricPoint { RunId = runId, Series = "CE_loss/train", Step = ++step, Value = step * 0.5 }).ToList();
                    await using var db = store.Open();
                    await MetricStore.WriteAsync(db, points, [new EpochVector { RunId = runId, Epoch = (int)step, Kind = "kappa", ValuesJson = "[1,2]" }],
                        [new RunEvent { RunId = runId, At = DateTimeOffset.UtcNow, Message = "batch" }]);
                    // The same batch again changes nothing (idempotent upserts).
                    await using var again = store.Open();
                    await MetricStore.WriteAsync(again, points, [], []);
                    await using var status = store.Open();
                    await status.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.CompletedEpochs, (int)(step / 200)));
                    Interlocked.Increment(ref batches);
                }
            }
            catch (Exception e)
            {
                lock (errors) errors.Add(e);
            }
        }, TaskCreationOptions.LongRunning).Unwrap()).ToList();
        await Task.WhenAll(writers.Concat(readers));

        Assert.Empty(errors);
        Assert.True(batches > 20 && reads > 20, $"{batches} batches, {reads} reads");
        if (engine == "sqlite") Assert.Equal("ok", await store.ScalarAsync<string>("PRAGMA integrity_check"));
        Assert.Equal(0L, await store.ScalarAsync<long>(
            "SELECT COUNT(*) FROM (SELECT \"RunId\", \"Series\", \"Step\" FROM \"MetricPoints\" GROUP BY \"RunId\", \"Series\", \"Step\" HAVING COUNT(*) > 1) AS twice"));
        Assert.Equal(batches * 200, await store.ScalarAsync<long>("SELECT COUNT(*) FROM \"MetricPoints\""));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task OneBatch_NamingAStepTwice_KeepsItsLastValue_AndEveryEvent(string engine)
    {
        // A resumed run may report a step again within one writer batch.
        using var store = new TestDatabase(engine);
        await using var db = store.Open();
        await DatabaseMigrator.MigrateAsync(db);
        var run = new Run { Name = "r", Dataset = "cifar10", CreatedAt = DateTimeOffset.UtcNow };
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        MetricPoint Point(long step, double value) => new() { RunId = run.Id, Series = "CE_loss/train", Step = step, Value = value };
        await MetricStore.WriteAsync(db, [Point(1, 1.0), Point(2, 2.0), Point(1, 1.5)],
            [new EpochVector { RunId = run.Id, Epoch = 1, Kind = "kappa", ValuesJson = "[1]" }, new EpochVector { RunId = run.Id, Epoch = 1, Kind = "kappa", ValuesJson = "[2]" }],
            [new RunEvent { RunId = run.Id, At = DateTimeOffset.UtcNow, Message = "a" }, new RunEvent { RunId = run.Id, At = DateTimeOffset.UtcNow, Message = "a" }]);
        Assert.Equal([1.5, 2.0], await db.MetricPoints.AsNoTracking().OrderBy(p => p.Step).Select(p => p.Value!.Value).ToListAsync());
        Assert.Equal("[2]", (await db.EpochVectors.AsNoTracking().SingleAsync()).ValuesJson);
        Assert.Equal(2, await db.RunEvents.CountAsync());
    }
}
