using Microsoft.EntityFrameworkCore;
using ProCo.Data.Entities;

namespace ProCo.Data.Tests;

/// <summary>A diverging run's NaN and ±∞ are stored and read back as what they are, never failing a batch.</summary>
public class NonFiniteTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task PointsAndVectors_KeepNaNAndInfinities_AndTheFiniteOnesOfTheSameBatch(string engine)
    {
        using var store = new TestDatabase(engine);
        await using var db = store.Open();
        await DatabaseMigrator.MigrateAsync(db);
        var run = new Run { Name = "diverged", Dataset = "cifar10", CreatedAt = DateTimeOffset.UtcNow };
        db.Runs.Add(run);
        await db.SaveChangesAsync();

        double[] values = [1.5, double.NaN, double.PositiveInfinity, double.NegativeInfinity];
        var points = values.Select((v, i) => new MetricPoint { RunId = run.Id, Series = "CE_loss/train", Step = i + 1, Value = v }).ToList();
        await MetricStore.WriteAsync(db, points, [EpochVector.Of(run.Id, 1, "kappa", [3.0, double.NaN, double.PositiveInfinity])], []);

        var stored = (await db.MetricPoints.AsNoTracking().Where(p => p.RunId == run.Id).OrderBy(p => p.Step).Select(p => p.Value).ToListAsync()).Select(v => v ?? double.NaN);
        Assert.Equal(values, stored);
        var vector = await db.EpochVectors.AsNoTracking().SingleAsync(v => v.RunId == run.Id);
        Assert.Equal([3.0, double.NaN, double.PositiveInfinity], vector.Values());
        Assert.Contains("\"NaN\"", vector.ValuesJson, StringComparison.Ordinal);
    }
}
