using Microsoft.EntityFrameworkCore;
using ProCo.Data.Entities;

namespace ProCo.Data.Tests;

/// <summary>
/// Series summaries (<see cref="MetricSummaries"/>): downsampled reads through the pyramid keep every spike
/// and the ends, zoomed ranges are exact, and the pyramid follows replaced and deleted points as a rebuild
/// from the points would.
/// </summary>
public class MetricSummaryTests
{
    [Fact]
    public void Pyramid_BucketsFloorNegativeSteps_AndReachTheEndsOfTheStepRange()
    {
        Assert.Equal(0, MetricPyramid.BucketOf(31, 0));
        Assert.Equal(1, MetricPyramid.BucketOf(32, 0));
        Assert.Equal(-1, MetricPyramid.BucketOf(-1, 0));
        Assert.Equal(-2, MetricPyramid.BucketOf(-65, 1));
        Assert.Equal(long.MaxValue, MetricPyramid.End(MetricPyramid.BucketOf(long.MaxValue, 5), 5));
        Assert.Equal(long.MinValue, MetricPyramid.Start(MetricPyramid.BucketOf(long.MinValue, MetricPyramid.MaxLevel), MetricPyramid.MaxLevel));
        Assert.Equal(0, MetricPyramid.TopLevel(0, 31));
        Assert.Equal(13, MetricPyramid.TopLevel(0, 249_999)); // 32 × 2^13 = 262,144 steps
        Assert.Equal(MetricPyramid.MaxLevel, MetricPyramid.TopLevel(-5, 5));
    }

    [Fact]
    public async Task AMillionPoints_ReadAt2000PerSeries_KeepEveryPlantedSpikeAndEachBucketsExtremes_AndZoomedRangesAreExact()
    {
        const int steps = 250_000;
        using var store = new TestDatabase("sqlite");
        var runId = await NewRunAsync(store);
        string[] names = ["CE_loss/train", "SCL_loss/train", "lr", "sys/cpu"];
        var random = new Random(7);
        var series = names.ToDictionary(n => n, _ => Enumerable.Range(0, steps).Select(i => Math.Sin(i / 900.0) + random.NextDouble() * 0.1).ToArray());
        // Spikes up and down far outside the noise, at steps no downsampling would pick by chance.
        var planted = Enumerable.Range(0, 40).Select(i => (Series: names[i % 4], Step: 1_013 + i * 6_131L, Value: i % 2 == 0 ? 50.0 + i : -50.0 - i)).ToList();
        foreach (var (name, step, value) in planted) series[name][step] = value;
        series["lr"][123_456] = double.NaN;
        await using (var db = store.Open())
        {
            for (var start = 0; start < steps; start += 50_000)
            {
                var batch = names.SelectMany(n => Enumerable.Range(start, 50_000).Select(i => new MetricPoint { RunId = runId, Series = n, Step = i, Value = series[n][i] })).ToList();
                await MetricStore.WriteAsync(db, batch, [], []);
            }
        }

        await using var read = store.Open();
        await read.Database.OpenConnectionAsync();
        var connection = read.Database.GetDbConnection();
        foreach (var name in names)
        {
            var values = series[name];
            var got = (await MetricSummaries.ReadAsync(connection, runId, name, long.MinValue, long.MaxValue, 2000))!;
            Assert.Equal(steps, got.Count);
            Assert.InRange(got.Steps.Length, 1000, 2000);
            Assert.Equal(got.Steps.Order(), got.Steps);
            Assert.Equal(0, got.Steps[0]);
            Assert.Equal(steps - 1, got.Steps[^1]);
            for (var i = 0; i < got.Steps.Length; i++) Assert.Equal(values[got.Steps[i]], got.Values[i]);
            foreach (var spike in planted.Where(p => p.Series == name)) Assert.Contains(spike.Step, got.Steps);
            // Each bucket of the level read keeps its smallest and its largest value.
            var level = MetricPyramid.LevelFor(0, steps - 1, 999, MetricPyramid.TopLevel(0, steps - 1));
            var kept = got.Steps.ToHashSet();
            foreach (var bucket in Enumerable.Range(0, steps).Skip(1).SkipLast(1).GroupBy(i => MetricPyramid.BucketOf(i, level)))
            {
                var finite = bucket.Where(i => !double.IsNaN(values[i])).ToList();
                Assert.Contains(finite.MinBy(i => values[i]), kept);
                Assert.Contains(finite.MaxBy(i => values[i]), kept);
            }

            // A zoomed range of 5,000 points, cut mid-bucket at both ends: exact when they fit, ends and extremes when not.
            var (from, to) = (100_003L, 105_002L);
            var zoomed = (await MetricSummaries.ReadAsync(connection, runId, name, from, to, 5000))!;
            Assert.Equal(Enumerable.Range((int)from, 5000).Select(i => (long)i), zoomed.Steps);
            Assert.Equal(Enumerable.Range((int)from, 5000).Select(i => values[i]), zoomed.Values);
            var thinned = (await MetricSummaries.ReadAsync(connection, runId, name, from, to, 500))!;
            Assert.Equal(5000, thinned.Count);
            Assert.True(thinned.Steps.Length <= 500 && thinned.Steps[0] == from && thinned.Steps[^1] == to);
            var inner = Enumerable.Range((int)from + 1, 4998).Where(i => !double.IsNaN(values[i])).ToList();
            Assert.Contains(inner.MaxBy(i => values[i]), thinned.Steps);
            Assert.Contains(inner.MinBy(i => values[i]), thinned.Steps);
        }
        var lr = await read.MetricSeries.SingleAsync(s => s.RunId == runId && s.Series == "lr");
        Assert.Equal(steps, lr.Count);
        Assert.Equal(series["lr"].Where(double.IsFinite).Max(), lr.FiniteMax);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Summaries_FollowReplacedAndDeletedPoints_AsARebuildFromThePointsWould(string engine)
    {
        using var store = new TestDatabase(engine);
        var runId = await NewRunAsync(store);
        const string name = "sys/elapsed_s";
        await using (var db = store.Open())
        {
            // Written in small batches as a trainer does, with a spike, NaN and ±∞ among them.
            for (var start = 0; start < 20_000; start += 700)
            {
                var batch = Enumerable.Range(start, Math.Min(700, 20_000 - start)).Select(i => new MetricPoint
                {
                    RunId = runId, Series = name, Step = i,
                    Value = i switch { 5_000 => 1e6, 7_000 => double.NaN, 9_000 => double.PositiveInfinity, 9_001 => double.NegativeInfinity, _ => i * 0.001 },
                }).ToList();
                await MetricStore.WriteAsync(db, batch, [], []);
            }
        }
        var whole = await SummaryAsync(store, runId, name);
        Assert.Equal((20_000L, 0L, 19_999L, 19.999, 0.0, 1e6), (whole.Count, whole.FirstStep, whole.LastStep, whole.LastValue, whole.FiniteMin, whole.FiniteMax));
        Assert.Contains(5_000L, (await ReadAsync(store, runId, name, 2000)).Steps);

        await using (var db = store.Open())
        {
            // A resumed run writes the spike's step again, and the steps after 15,000 go.
            await MetricStore.WriteAsync(db, [new MetricPoint { RunId = runId, Series = name, Step = 5_000, Value = 5.0 }], [], []);
            Assert.Equal(5_000, await MetricStore.DeleteFromAsync(db, runId, "sys/", 15_000));
        }
        var after = await SummaryAsync(store, runId, name);
        Assert.Equal((15_000L, 14_999L, 14.999, 14.999), (after.Count, after.LastStep, after.LastValue, after.FiniteMax));
        var thin = await ReadAsync(store, runId, name, 2000);
        Assert.Equal(15_000, thin.Count);
        Assert.Equal(14_999, thin.Steps[^1]);
        Assert.DoesNotContain(1e6, thin.Values);
        Assert.Contains(double.PositiveInfinity, thin.Values);
        Assert.Contains(double.NegativeInfinity, thin.Values);

        // The pyramid kept up to date equals one built afresh from the points.
        var kept = await BucketsAsync(store, runId);
        Assert.True(kept.Count > 400, $"{kept.Count} buckets");
        Assert.DoesNotContain(kept, b => b.LastStep >= 15_000);
        await using (var db = store.Open())
        {
            await db.MetricSeries.Where(s => s.RunId == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.TopLevel, -1));
            await db.Database.OpenConnectionAsync();
            Assert.Equal(1, await MetricSummaries.BuildPendingAsync(db.Database.GetDbConnection()));
        }
        Assert.Equal(kept, await BucketsAsync(store, runId));
        Assert.Equal(after.Count, (await SummaryAsync(store, runId, name)).Count);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task PointsStoredBeforeSummaries_AreSummarisedByTheMigration(string engine)
    {
        using var store = new TestDatabase(engine);
        var runId = await NewRunAsync(store);
        // Points as an earlier version stored them (no summaries), listed by the migration's own statement.
        await using (var db = store.Open())
        {
            await db.Database.ExecuteSqlRawAsync(
                "INSERT INTO \"MetricPoints\" (\"RunId\", \"Series\", \"Step\", \"Value\") SELECT {0}, 'acc/val_top1', s, s * 0.25 FROM (SELECT (a.n * 100 + b.n) AS s FROM " +
                "(SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) a, " +
                "(SELECT 0 AS n UNION ALL SELECT 10 UNION ALL SELECT 20 UNION ALL SELECT 30) b) t", runId);
            await db.Database.ExecuteSqlRawAsync(
                "INSERT INTO \"MetricSeries\" (\"RunId\", \"Series\", \"Count\", \"FirstStep\", \"LastStep\", \"TopLevel\") " +
                "SELECT \"RunId\", \"Series\", COUNT(*), MIN(\"Step\"), MAX(\"Step\"), -1 FROM \"MetricPoints\" GROUP BY \"RunId\", \"Series\"");
            await DatabaseMigrator.MigrateAsync(db);
        }
        var summary = await SummaryAsync(store, runId, "acc/val_top1");
        Assert.Equal((20L, 0L, 430L, 107.5, 107.5, MetricPyramid.TopLevel(0, 430)), (summary.Count, summary.FirstStep, summary.LastStep, summary.LastValue, summary.FiniteMax, summary.TopLevel));
        var thin = await ReadAsync(store, runId, "acc/val_top1", 6, "acc/val_top1");
        Assert.Equal(20, thin.Count);
        Assert.Equal([0L, 430L], [thin.Steps[0], thin.Steps[^1]]);
    }

    private static async Task<long> NewRunAsync(TestDatabase store)
    {
        await using var db = store.Open();
        await DatabaseMigrator.MigrateAsync(db);
        var run = new Run { Name = "long", Dataset = "cifar10", CreatedAt = DateTimeOffset.UtcNow };
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        return run.Id;
    }

    private static async Task<MetricSeries> SummaryAsync(TestDatabase store, long runId, string name)
    {
        await using var db = store.Open();
        return await db.MetricSeries.AsNoTracking().SingleAsync(s => s.RunId == runId && s.Series == name);
    }

    private static async Task<SeriesRead> ReadAsync(TestDatabase store, long runId, string name, int maxPoints, string? series = null)
    {
        await using var db = store.Open();
        await db.Database.OpenConnectionAsync();
        return (await MetricSummaries.ReadAsync(db.Database.GetDbConnection(), runId, series ?? name, long.MinValue, long.MaxValue, maxPoints))!;
    }

    private static async Task<List<(int Level, long Bucket, long Count, long FirstStep, long LastStep, long? MinStep, double? Min, long? MaxStep, double? Max)>> BucketsAsync(
        TestDatabase store, long runId)
    {
        await using var db = store.Open();
        return (await db.MetricBuckets.AsNoTracking().Where(b => b.RunId == runId).OrderBy(b => b.Level).ThenBy(b => b.Bucket).ToListAsync())
            .Select(b => (b.Level, b.Bucket, b.Count, b.FirstStep, b.LastStep, b.MinStep, b.MinValue, b.MaxStep, b.MaxValue)).ToList();
    }
}
