// Benchmarks of the live cockpit (issue: step-to-browser latency, render time of large runs,
// append cost of a live point). Hosts the real app on Kestrel (127.0.0.1), seeds synthetic runs
// into its SQLite database, drives Debian's Chromium with Playwright and prints the figures.
//   dotnet run -c Release --project tests/ProCo.Bench
// The store and live path of many machines (ingest, step-to-browser latency of 8 concurrent runs on
// SQLite and on PostgreSQL + Redis) is its own mode:
//   dotnet run -c Release --project tests/ProCo.Bench -- store
// Reads of runs of 100k, 1M and 10M points (page read, zoomed range, detail, run list) per engine:
//   dotnet run -c Release --project tests/ProCo.Bench -- reads
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using ProCo.Tests;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Web.Hosting;

if (args is ["reads", .. var sizes])
{
    await ProCo.Bench.ReadsBench.RunAsync(sizes);
    return;
}
if (args is ["store", ..])
{
    await ProCo.Bench.StoreBench.RunAsync();
    return;
}

var dataDir = Path.Combine(Path.GetTempPath(), "proco-bench-" + Guid.NewGuid().ToString("N"));
var app = await WebApp.BuildAsync(["--urls", "http://127.0.0.1:0", $"--ProCo:DataDir={dataDir}", "--Logging:LogLevel:Default=Warning", "--environment", "Production",
    "--ProCo:Jobs:QueuePollSeconds=0.5", "--ProCo:Live:StampPoints=true"]);
await app.StartAsync();
var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
Console.WriteLine($"ProCo Studio bench on {address}, data in {dataDir}");

try
{
    var factory = app.Services.GetRequiredService<IDbContextFactory<ProCoDbContext>>();
    var big = new List<long>();
    var seedWatch = Stopwatch.StartNew();
    for (var r = 0; r < 5; r++) big.Add(await SeedRunAsync(factory, $"synthetic {r + 1}", r, steps: 50_000, classes: 100, epochs: 200));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seeded 5 runs x 50,000 steps + 200 epochs x 100 classes of kappa/accuracy in {seedWatch.Elapsed.TotalSeconds:F1} s"));

    using var playwright = await Playwright.CreateAsync();
    await using var browser = await TestSurface.LaunchChromiumAsync(playwright);
    var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = address + "/", ViewportSize = new ViewportSize { Width = 1600, Height = 1000 } });
    await TestSurface.InstallAsync(context);
    // Run pages keep step-to-browser latencies only when asked (the server stamps points: ProCo:Live:StampPoints).
    await context.AddInitScriptAsync("try { localStorage.setItem('proco.recordLatencies', '1'); } catch { }");

    // 1. Render time of a run page holding 100 classes x 200 epochs of kappa and 50,000 points per step series.
    var runTimes = new List<double>();
    for (var i = 0; i < 3; i++)
    {
        var page = await context.NewPageAsync();
        var watch = Stopwatch.StartNew();
        await page.GotoAsync($"/runs/{big[0]}");
        await page.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 120_000 });
        await page.EvaluateAsync("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
        runTimes.Add(watch.Elapsed.TotalMilliseconds);
        if (i == 0)
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(dataDir, "bench-run.png"), FullPage = true });
            // Bytes the page fetched from the API on its first load (any late catch-up included).
            await page.WaitForTimeoutAsync(2500);
            var bytes = await page.EvaluateAsync<double[]>(
                "() => { const api = performance.getEntriesByType('resource').filter(e => e.name.includes('/api/')); " +
                "return [api.reduce((n, e) => n + e.encodedBodySize, 0), api.filter(e => e.name.includes('/metrics')).reduce((n, e) => n + e.encodedBodySize, 0), api.length]; }");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"run page first load, 150,000 step points: {bytes[0] / 1024:N0} KiB from the API in {bytes[2]:N0} requests ({bytes[1] / 1024:N0} KiB of metrics)"));
        }
        await page.CloseAsync();
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"run page, 3 x 50,000-point step series + 100x200 kappa heatmap: first {runTimes[0]:F0} ms, then {runTimes.Skip(1).Average():F0} ms (navigation to charts drawn)"));

    // 2. Render time of the compare page with 5 runs x 50,000 points.
    var comparePage = await context.NewPageAsync();
    var compareWatch = Stopwatch.StartNew();
    await comparePage.GotoAsync($"/compare?ids={string.Join(',', big)}");
    await comparePage.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 120_000 });
    await comparePage.EvaluateAsync("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"compare page, 5 runs x 50,000 points: {compareWatch.Elapsed.TotalMilliseconds:F0} ms (navigation to charts drawn)"));
    // Median of five rounds of ten changes, after a round that warms the page's code up (the first
    // round of a fresh page runs its smoothing and drawing code cold, 1.5-3x slower).
    const string smoothRound = "() => { const t = performance.now(); for (let i = 0; i < 10; i++) studioTest.setSmoothing(0.5 + i / 100); return (performance.now() - t) / 10; }";
    var coldSmooth = await comparePage.EvaluateAsync<double>(smoothRound);
    var smoothRounds = new List<double>();
    for (var round = 0; round < 5; round++) smoothRounds.Add(await comparePage.EvaluateAsync<double>(smoothRound));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"compare page, smoothing change redraw (5 runs x 50,000 points, 4 charts): {Median(smoothRounds):F1} ms, median of 5 rounds after warm-up (first round {coldSmooth:F1} ms)"));

    // 3. Append cost of a live point: storing it, and the redraw of the chart (once per frame, whatever the point rate).
    var runPage = await context.NewPageAsync();
    await runPage.GotoAsync($"/runs/{big[1]}");
    await runPage.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 120_000 });
    var append = await runPage.EvaluateAsync<JsonElement>("() => studioTest.appendCost('CE_loss/train', 'loss', 148000)");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"live point append: {append.GetProperty("perPoint").GetDouble():F3} µs to store; chart redraw with {append.GetProperty("points").GetInt32():N0} points: {append.GetProperty("redraw").GetDouble():F1} ms (at most once per animation frame)"));

    // 4. Step-to-browser latency of a metric from a real training run (trainer report -> point in the page).
    using var http = new HttpClient { BaseAddress = new Uri(address + "/") };
    var response = await http.PostAsJsonAsync("api/runs", new
    {
        name = "latency",
        config = new { dataset = "fashion-mnist", imbalanceFactor = 0.1, maxPerClass = 300, maxTestPerClass = 10, epochs = 4, warmupEpochs = 1, batchSize = 32, learningRate = 0.05, depth = 8, featDim = 16 },
    });
    var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetInt64();
    var livePage = await context.NewPageAsync();
    await livePage.GotoAsync($"/runs/{id}");
    await livePage.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 60_000 });
    var deadline = DateTime.UtcNow.AddMinutes(3);
    while (DateTime.UtcNow < deadline)
    {
        var status = JsonDocument.Parse(await http.GetStringAsync($"api/runs/{id}")).RootElement.GetProperty("run").GetProperty("status").GetString();
        if (status is "Succeeded" or "Failed") break;
        await Task.Delay(500);
    }
    var latencies = (await livePage.EvaluateAsync<double[]>("() => studioTest.latencies()")).Order().ToArray();
    double Percentile(double p) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(p * latencies.Length) - 1)];
    Console.WriteLine(latencies.Length == 0
        ? "step-to-browser latency: no live points received"
        : string.Create(CultureInfo.InvariantCulture,
            $"step-to-browser latency over {latencies.Length} live points: p50 {Percentile(0.5):F0} ms, p95 {Percentile(0.95):F0} ms, max {latencies[^1]:F0} ms"));
}
finally
{
    await app.StopAsync();
    await app.DisposeAsync();
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
}

// A finished run with long per-step series and per-epoch vectors, as a long CIFAR-100 run would leave.
static async Task<long> SeedRunAsync(IDbContextFactory<ProCoDbContext> factory, string name, int seed, int steps, int classes, int epochs)
{
    var random = new Random(seed);
    await using var db = await factory.CreateDbContextAsync();
    var stepsPerEpoch = steps / epochs;
    var run = new Run
    {
        Name = name, Method = "proco", Dataset = "cifar100", ImbalanceFactor = 0.01, Epochs = epochs, Status = RunStatus.Succeeded,
        CompletedEpochs = epochs, Progress = 1, StepsPerEpoch = stepsPerEpoch, CreatedAt = DateTimeOffset.UtcNow,
        ConfigJson = JsonSerializer.Serialize(new { dataset = "cifar100", imbalanceFactor = 0.01, epochs, seed }),
    };
    db.Runs.Add(run);
    await db.SaveChangesAsync();
    var points = new List<MetricPoint>(steps * 3);
    for (var s = 1; s <= steps; s++)
    {
        var decay = Math.Exp(-s / (double)steps * 3);
        points.Add(new MetricPoint { RunId = run.Id, Series = "CE_loss/train", Step = s, Value = 4 * decay + random.NextDouble() * 0.3 + (random.Next(5000) == 0 ? 5 : 0) });
        points.Add(new MetricPoint { RunId = run.Id, Series = "SCL_loss/train", Step = s, Value = 5 * decay + random.NextDouble() * 0.2 });
        points.Add(new MetricPoint { RunId = run.Id, Series = "lr", Step = s, Value = 0.3 });
    }
    var vectors = new List<EpochVector>();
    var counts = Enumerable.Range(0, classes).Select(c => Math.Floor(500 * Math.Pow(0.01, c / (classes - 1.0)))).ToArray();
    for (var e = 1; e <= epochs; e++)
    {
        foreach (var series in new[] { "acc/train_top1", "acc/val_top1", "acc/val_many", "acc/val_medium", "acc/val_few" })
            points.Add(new MetricPoint { RunId = run.Id, Series = series, Step = e, Value = 60 * (1 - Math.Exp(-e / 40.0)) + random.NextDouble() * 3 });
        points.Add(new MetricPoint { RunId = run.Id, Series = "CE_loss/val", Step = e, Value = 3 * Math.Exp(-e / 60.0) + 1 });
        vectors.Add(new EpochVector { RunId = run.Id, Epoch = e, Kind = "kappa", ValuesJson = JsonSerializer.Serialize(counts.Select(n => 50 + e * 2 + n * 0.5 + random.NextDouble() * 20)) });
        vectors.Add(new EpochVector { RunId = run.Id, Epoch = e, Kind = "accuracy", ValuesJson = JsonSerializer.Serialize(counts.Select(n => Math.Min(100, n / 5 + random.NextDouble() * 20))) });
        vectors.Add(new EpochVector { RunId = run.Id, Epoch = e, Kind = "counts", ValuesJson = JsonSerializer.Serialize(counts) });
    }
    foreach (var chunk in points.Chunk(20_000)) await MetricStore.WriteAsync(db, chunk, [], []);
    await MetricStore.WriteAsync(db, [], vectors, []);
    return run.Id;
}

static double Median(IReadOnlyCollection<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}
