using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Tests;
using ProCo.Training.Engine;
using ProCo.Web.Hosting;
using ProCo.Web.Live;
using ProCo.Web.Runs;

namespace ProCo.Bench;

/// <summary>
/// The store and the live path under 8 concurrent runs, on the embedded default (SQLite; the web
/// app follows the trainers' process through the database) and on PostgreSQL + Redis (the
/// trainers' process publishes into the backplane). Each layout: a web instance on Kestrel and, in
/// the same process, a worker host with the real MetricWriter, publisher and RunMetricSink that 8
/// simulated trainers report to (training itself would measure the CPU, not the store). Prints
/// ingest (points stored per second, all 8 runs writing as fast as they can) and step-to-browser
/// latency p50/p95 (a SignalR client on the web instance, from the moment a trainer reports a
/// step to its arrival). Real PostgreSQL 15 and Redis 7 are started as the tests start them.
///   dotnet run -c Release --project tests/ProCo.Bench -- store
/// </summary>
internal static class StoreBench
{
    private const int Runs = 8;
    private const int IngestPointsPerRun = 50_000;
    private const int StepsPerSecond = 20;
    private static readonly TimeSpan LiveFor = TimeSpan.FromSeconds(20);
    private static readonly string[] StepSeries = ["CE_loss/train", "SCL_loss/train", "lr"];

    public static async Task RunAsync()
    {
        Console.WriteLine($"{Runs} concurrent runs; ingest: {IngestPointsPerRun:N0} points per run as fast as they go; " +
                          $"latency: {StepsPerSecond} steps/s per run x {StepSeries.Length} series for {LiveFor.TotalSeconds:0} s");
        var results = new List<string>
        {
            await MeasureAsync("SQLite (one host)", [], null),
            await MeasureAsync("PostgreSQL + Redis", ["--ProCo:Database=postgres", $"--ProCo:ConnectionString={LocalServers.NewPostgresDatabase()}"], LocalServers.RedisConfiguration),
        };
        Console.WriteLine();
        Console.WriteLine($"{"layout",-20} {"ingest points/s",16} {"latency p50",12} {"p95",8} {"received",10}");
        foreach (var line in results) Console.WriteLine(line);
    }

    private static async Task<string> MeasureAsync(string layout, string[] store, string? redis)
    {
        var root = Path.Combine(Path.GetTempPath(), "proco-store-bench-" + Guid.NewGuid().ToString("N"));
        string[] shared = [.. store, $"--ProCo:ArtifactsDir={Path.Combine(root, "artifacts")}", "--Logging:LogLevel:Default=Warning", "--environment", "Production"];
        if (redis is not null) shared = [.. shared, $"--ProCo:Redis={redis}"];
        var web = await WebApp.BuildAsync(["--urls", "http://127.0.0.1:0", $"--ProCo:DataDir={Path.Combine(root, "web")}", "--ProCo:Workers=0", .. shared]);
        await web.StartAsync();
        var address = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        // The trainers' host, as a `proco worker` is built (its job server left out: the trainers are
        // simulated): on SQLite in the same data folder (one host), else a data folder of its own.
        var workerDir = Path.Combine(root, redis is null ? "web" : "worker");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [$"--ProCo:DataDir={workerDir}", .. shared] });
        builder.Services.AddProCoCore();
        builder.Services.AddWorkerLive(RunServiceCollectionExtensions.ReadOptions(builder.Configuration).Redis);
        builder.Services.AddJobs(runServer: false);
        using var worker = builder.Build();
        await worker.StartAsync();
        try
        {
            var factory = worker.Services.GetRequiredService<IDbContextFactory<ProCoDbContext>>();
            var writer = worker.Services.GetRequiredService<MetricWriter>();
            var ids = new List<long>();
            for (var r = 0; r < Runs * 2; r++) ids.Add(await NewRunAsync(factory, $"bench {r}"));

            // Ingest: every run enqueues its points at once; the clock stops when all are stored.
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(ids.Take(Runs).Select(id => Task.Run(() =>
            {
                for (var s = 1; s <= IngestPointsPerRun; s++) writer.Add(new MetricPoint { RunId = id, Series = "CE_loss/train", Step = s, Value = 1.0 / s });
            })));
            await writer.FlushAsync();
            var ingest = Runs * IngestPointsPerRun / watch.Elapsed.TotalSeconds;
            await using (var db = await factory.CreateDbContextAsync())
            {
                var stored = await db.MetricPoints.CountAsync(p => ids.Take(Runs).Contains(p.RunId));
                if (stored != Runs * IngestPointsPerRun) throw new InvalidOperationException($"{stored} points stored of {Runs * IngestPointsPerRun}");
            }

            // Latency: trainers report steps at a steady rate; a browser-side client on the web instance receives them.
            var live = ids.Skip(Runs).ToList();
            var reported = new ConcurrentDictionary<(long Run, long Step), long>();
            var latencies = new ConcurrentDictionary<(long Run, long Step), double>();
            await using var hub = new HubConnectionBuilder().WithUrl(new Uri(new Uri(address), "hubs/runs")).Build();
            hub.On<JsonElement>("Points", message =>
            {
                var now = Stopwatch.GetTimestamp();
                var run = message.GetProperty("runId").GetInt64();
                foreach (var p in message.GetProperty("points").EnumerateArray())
                {
                    // The first arrival of a step counts (a page replaces a step it sees again).
                    var step = p.GetProperty("t").GetInt64();
                    if (p.GetProperty("s").GetString() == StepSeries[0] && reported.TryGetValue((run, step), out var at))
                        latencies.TryAdd((run, step), Stopwatch.GetElapsedTime(at, now).TotalMilliseconds);
                }
            });
            await hub.StartAsync();
            foreach (var id in live) await hub.InvokeAsync("Subscribe", id);
            var publisher = worker.Services.GetRequiredService<IRunPublisher>();
            var folders = worker.Services.GetRequiredService<RunFolders>();
            var steps = (int)(LiveFor.TotalSeconds * StepsPerSecond);
            await Task.WhenAll(live.Select(id => Task.Run(async () =>
            {
                var sink = new RunMetricSink(id, writer, publisher, factory, folders);
                var start = Stopwatch.GetTimestamp();
                for (var s = 1; s <= steps; s++)
                {
                    var due = TimeSpan.FromSeconds(s / (double)StepsPerSecond) - Stopwatch.GetElapsedTime(start);
                    if (due > TimeSpan.Zero) await Task.Delay(due);
                    reported[(id, s)] = Stopwatch.GetTimestamp();
                    sink.Step(new StepReport(1 + (s - 1) / 100, s, (s - 1) % 100 + 1, 100, StepSeries.ToDictionary(n => n, n => 1.0 / s)));
                }
            })));
            var expected = steps * Runs;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (latencies.Count < expected && DateTime.UtcNow < deadline) await Task.Delay(100);
            var sorted = latencies.Values.Order().ToArray();
            double Percentile(double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
            return string.Create(CultureInfo.InvariantCulture,
                $"{layout,-20} {ingest,16:N0} {Percentile(0.5),9:F0} ms {Percentile(0.95),5:F0} ms {sorted.Length,6}/{expected}");
        }
        finally
        {
            await worker.StopAsync();
            await web.StopAsync();
            await web.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<long> NewRunAsync(IDbContextFactory<ProCoDbContext> factory, string name)
    {
        await using var db = await factory.CreateDbContextAsync();
        var run = new Run
        {
            Name = name, Method = "proco", Dataset = "fashion-mnist", ImbalanceFactor = 0.1, Epochs = 100, Status = RunStatus.Running, StepsPerEpoch = 100,
            CreatedAt = DateTimeOffset.UtcNow, ConfigJson = new TrainingConfig { Dataset = "fashion-mnist", ImbalanceFactor = 0.1, Epochs = 100 }.ToJson(),
        };
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        return run.Id;
    }
}
