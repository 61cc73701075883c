using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Tests;

namespace ProCo.Web.Tests;

/// <summary>
/// A run another process trains, watched from this web app: the follower publishes only what is stored after its
/// marks, and every read it makes of the points and vectors is an index range (SQLite's own query plan says so), so a
/// poll costs the same for a run of a few points as for one of hundreds of thousands.
/// </summary>
[Collection(AppHost.Name)]
public sealed class FollowerTests(StudioFactory factory) : IClassFixture<StudioFactory>
{
    private const int StoredSteps = 100_000;

    [Fact]
    public async Task ARunTrainedElsewhere_IsFollowedByIndexRanges_AndOnlyWhatIsNewIsPublished()
    {
        using var http = factory.CreateClient();
        long id;
        await using (var db = await factory.Services.GetRequiredService<IDbContextFactory<ProCoDbContext>>().CreateDbContextAsync())
        {
            var run = new Run
            {
                Name = "trained elsewhere", Method = "proco", Dataset = "fashion-mnist", Epochs = 100, StepsPerEpoch = 1000, Status = RunStatus.Running,
                Worker = "gpu-box:4242:0f0f", LeaseUntil = DateTimeOffset.UtcNow.AddHours(1), CreatedAt = DateTimeOffset.UtcNow, StartedAt = DateTimeOffset.UtcNow,
            };
            db.Runs.Add(run);
            await db.SaveChangesAsync();
            id = run.Id;
            // Three series of 100,000 steps each, as a long run has stored by now.
            foreach (var series in new[] { "CE_loss/train", "SCL_loss/train", "lr" })
                await db.Database.ExecuteSqlRawAsync(
                    "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {0}) " +
                    "INSERT INTO \"MetricPoints\" (\"RunId\", \"Series\", \"Step\", \"Value\") SELECT {1}, {2}, n, 1.0 / n FROM s", StoredSteps, id, series);
        }

        var received = new ConcurrentQueue<(string Series, long Step)>();
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(factory.Server.BaseAddress, "hubs/runs"), o =>
            {
                o.HttpMessageHandlerFactory = _ => factory.Server.CreateHandler();
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
            }).Build();
        hub.On<JsonElement>("Points", message =>
        {
            foreach (var p in message.GetProperty("points").EnumerateArray()) received.Enqueue((p.GetProperty("s").GetString()!, p.GetProperty("t").GetInt64()));
        });
        await hub.StartAsync();
        using var reads = new DatabaseReads();
        await hub.InvokeAsync("Subscribe", id);

        // The other process stores five more steps: exactly those are published, none of the 100,000 before them.
        factory.Store.Value(string.Join(" ", Enumerable.Range(1, 5).Select(i =>
            $"INSERT INTO \"MetricPoints\" (\"RunId\", \"Series\", \"Step\", \"Value\") VALUES ({id}, 'CE_loss/train', {StoredSteps + i}, 0.5);")));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (received.Count < 5 && DateTime.UtcNow < deadline) await Task.Delay(50);
        await Task.Delay(600); // a few more polls: nothing else may come
        Assert.Equal(Enumerable.Range(1, 5).Select(i => ("CE_loss/train", (long)(StoredSteps + i))), received.OrderBy(r => r.Step));

        // Every read of the points and vectors, the baseline's and the polls', searches the key; none scans the table.
        var plans = reads.Selects().Where(sql => sql.Contains("\"MetricPoints\"", StringComparison.Ordinal) || sql.Contains("\"EpochVectors\"", StringComparison.Ordinal))
            .Distinct().ToDictionary(sql => sql, Plan);
        // The baseline seeks each series' last step (the key's last entry: RunId, Series); a poll reads each series after its
        // mark (RunId, Series, Step > mark). A search on RunId alone would walk every row of the run.
        var polls = plans.Where(p => p.Key.Contains("UNION ALL", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, polls.Count); // points and vectors
        foreach (var (sql, plan) in plans)
        {
            var why = $"{sql}\n  plan: {string.Join(" | ", plan)}";
            var searches = plan.Where(line => line.Contains("MetricPoints", StringComparison.Ordinal) || line.Contains("EpochVectors", StringComparison.Ordinal)
                                              || line.StartsWith("SEARCH", StringComparison.Ordinal) || line.StartsWith("SCAN", StringComparison.Ordinal)).ToList();
            Assert.True(searches.Count > 0 && searches.All(line => line.StartsWith("SEARCH", StringComparison.Ordinal)), why);
            var range = polls.Any(p => p.Key == sql) ? new[] { "Step>?", "Epoch>?" } : ["Series=?", "Kind=?"];
            Assert.True(searches.All(line => range.Any(r => line.Contains(r, StringComparison.Ordinal))), why);
        }
    }

    // SQLite's plan of a query, each line's detail (the parameters bound to NULL: a plan does not depend on them).
    private List<string> Plan(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(factory.DataDir, "proco.db")};Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var name in System.Text.RegularExpressions.Regex.Matches(sql, @"@\w+").Select(m => m.Value).Distinct())
            command.Parameters.AddWithValue(name, DBNull.Value);
        using var reader = command.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read()) lines.Add(reader.GetString(3));
        return lines;
    }
}
