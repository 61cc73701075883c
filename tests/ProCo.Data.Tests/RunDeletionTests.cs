using Microsoft.EntityFrameworkCore;
using ProCo.Data;
using ProCo.Data.Entities;

namespace ProCo.Data.Tests;

/// <summary>
/// Points and summary buckets have no foreign key to their run (MetricStore checks a batch's runs once):
/// deleting a run must still take all of them, and a write for a run that is gone must write nothing.
/// </summary>
public class RunDeletionTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task DeleteRun_TakesItsPointsSummariesAndRows_AndLeavesOtherRunsWhole(string engine)
    {
        using var store = new TestDatabase(engine);
        long doomed, kept;
        await using (var db = store.Open())
        {
            await DatabaseMigrator.MigrateAsync(db);
            (doomed, kept) = (await AddRunAsync(db, "doomed"), await AddRunAsync(db, "kept"));
            foreach (var run in new[] { doomed, kept })
                await MetricStore.WriteAsync(db, Points(run, 0, 5_000), [EpochVector.Of(run, 1, "kappa", [1.5, 2.5])], [new RunEvent { RunId = run, At = DateTimeOffset.UtcNow, Level = "info", Message = "m" }]);
        }
        var before = await CountsAsync(store, kept);

        await using (var db = store.Open())
        {
            Assert.True(await MetricStore.DeleteRunAsync(db, doomed));
            Assert.False(await MetricStore.DeleteRunAsync(db, doomed));
        }

        Assert.Equal((0, 0, 0, 0, 0), await CountsAsync(store, doomed));
        Assert.Equal((10_000, before.Buckets, 2, 1, 1), await CountsAsync(store, kept));
        Assert.True(before.Buckets > 300); // 5,000 steps: 157 level-0 buckets per series, and the levels above
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task AWriteNamingAMissingRun_IsRefusedWhole_AsMissing(string engine)
    {
        using var store = new TestDatabase(engine);
        await using var db = store.Open();
        await DatabaseMigrator.MigrateAsync(db);
        var run = await AddRunAsync(db, "here");

        var refused = await Assert.ThrowsAsync<MissingRunException>(() => MetricStore.WriteAsync(db, [.. Points(run, 0, 10), .. Points(run + 1000, 0, 10)], [], []));

        Assert.Equal(run + 1000, refused.RunId);
        Assert.True(MetricStore.IsMissingRun(refused));
        // One transaction: the points of the run that exists were not written either.
        Assert.Equal((0, 0, 0, 0, 0), await CountsAsync(store, run));
        Assert.Equal((0, 0, 0, 0, 0), await CountsAsync(store, run + 1000));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ADeleteDuringAWrite_WaitsForIt_AndLeavesNoPointBehind(string engine)
    {
        using var store = new TestDatabase(engine);
        long run;
        await using (var db = store.Open())
        {
            await DatabaseMigrator.MigrateAsync(db);
            run = await AddRunAsync(db, "busy");
        }

        await using var writer = store.Open();
        await using var transaction = await writer.Database.BeginTransactionAsync();
        await MetricStore.WriteAsync(writer, Points(run, 0, 2_000), [], []); // in the open transaction: the run is held
        var deletion = Task.Run(async () =>
        {
            await using var db = store.Open();
            return await MetricStore.DeleteRunAsync(db, run);
        });
        await Task.Delay(500);
        Assert.False(deletion.IsCompleted); // it waits for the writer
        await transaction.CommitAsync();

        Assert.True(await deletion.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal((0, 0, 0, 0, 0), await CountsAsync(store, run));
        await Assert.ThrowsAsync<MissingRunException>(() => MetricStore.WriteAsync(writer, Points(run, 2_000, 10), [], []));
        Assert.Equal((0, 0, 0, 0, 0), await CountsAsync(store, run));
    }

    private static async Task<long> AddRunAsync(ProCoDbContext db, string name)
    {
        var run = new Run { Name = name, Dataset = "cifar10", CreatedAt = DateTimeOffset.UtcNow };
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        return run.Id;
    }

    private static List<MetricPoint> Points(long run, long from, int steps) =>
        [.. new[] { "loss/train", "acc/val_top1" }.SelectMany(series => Enumerable.Range(0, steps)
            .Select(i => new MetricPoint { RunId = run, Series = series, Step = from + i, Value = Math.Sin(from + i) }))];

    private static async Task<(int Points, int Buckets, int Series, int Vectors, int Events)> CountsAsync(TestDatabase store, long run)
    {
        await using var db = store.Open();
        return (await db.MetricPoints.CountAsync(p => p.RunId == run), await db.MetricBuckets.CountAsync(b => b.RunId == run),
            await db.MetricSeries.CountAsync(s => s.RunId == run), await db.EpochVectors.CountAsync(v => v.RunId == run), await db.RunEvents.CountAsync(e => e.RunId == run));
    }
}
