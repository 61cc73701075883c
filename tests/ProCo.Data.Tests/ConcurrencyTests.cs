using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProCo.Data.Entities;

namespace ProCo.Data.Tests;

public class ConcurrencyTests
{
    private static ProCoDbContext Open(string path) =>
        new(new DbContextOptionsBuilder<ProCoDbContext>().UseRunDatabase(path).Options);

    [Fact]
    public async Task WritersAndReaders_HammeringTheDatabase_NeverSeeALockError_AndLeaveItIntact()
    {
        using var folder = new TempFolder();
        var path = folder.File("runs.db");
        var runIds = new List<long>();
        await using (var db = Open(path))
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

        var stop = DateTime.UtcNow.AddSeconds(6);
        var errors = new List<Exception>();
        long batches = 0, reads = 0;
        var writers = runIds.Select(runId => Task.Run(async () =>
        {
            var step = 0L;
            try
            {
                while (DateTime.UtcNow < stop)
                {
                    var points = Enumerable.Range(0, 200).Select(_ => new MetricPoint { RunId = runId, Series = "CE_loss/train", Step = ++step, Value = step * 0.5 }).ToList();
                    await using var db = Open(path);
                    await MetricStore.WriteAsync(db, points, [new EpochVector { RunId = runId, Epoch = (int)step, Kind = "kappa", ValuesJson = "[1,2]" }],
                        [new RunEvent { RunId = runId, At = DateTimeOffset.UtcNow, Message = "batch" }]);
                    // The same batch again changes nothing (idempotent upserts).
                    await using var again = Open(path);
                    await MetricStore.WriteAsync(again, points, [], []);
                    await using var status = Open(path);
                    await status.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.CompletedEpochs, (int)(step / 200)));
                    Interlocked.Increment(ref batches);
                }
            }
            catch (Exception e)
            {
                lock (errors) errors.Add(e);
            }
        })).ToList();
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            try
            {
                while (DateTime.UtcNow < stop)
                {
                    await using var db = Open(path);
                    await db.MetricPoints.Where(p => p.Series == "CE_loss/train").GroupBy(p => p.RunId).Select(g => g.Max(p => p.Step)).ToListAsync();
                    await db.Runs.OrderByDescending(r => r.CreatedAt).Take(50).ToListAsync();
                    Interlocked.Increment(ref reads);
                }
            }
            catch (Exception e)
            {
                lock (errors) errors.Add(e);
            }
        })).ToList();
        await Task.WhenAll(writers.Concat(readers));

        Assert.Empty(errors);
        Assert.True(batches > 20 && reads > 20, $"{batches} batches, {reads} reads");
        await using var check = new SqliteConnection($"Data Source={path}");
        await check.OpenAsync();
        await using var command = check.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", (string?)await command.ExecuteScalarAsync());
        command.CommandText = "SELECT COUNT(*) - COUNT(DISTINCT RunId || '/' || Series || '/' || Step) FROM MetricPoints";
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
        command.CommandText = "SELECT COUNT(*) FROM MetricPoints";
        Assert.Equal(batches * 200, (long)(await command.ExecuteScalarAsync())!);
    }
}
