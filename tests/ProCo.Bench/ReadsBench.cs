using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Data.TensorBoard;
using ProCo.Tests;
using ProCo.Web.Hosting;

namespace ProCo.Bench;

/// <summary>
/// Reads whose cost does not grow with the run, per engine: runs of 100k, 1M and 10M points (four
/// per-step series, as a long run logs them) are stored through MetricStore in 100,000-point
/// transactions (the importer's and the trainer's writer's path, summaries kept), and imported whole
/// from a TensorBoard log of the same size by the real importer, then the real app
/// on Kestrel answers, median of 7 after 2 warm-up reads: the run page's read of its four series at
/// 2,000 points each, a zoomed raw range of 5,000 points, the run's detail (its series summaries),
/// and the run list with 500 runs (one page of 500).
///   dotnet run -c Release --project tests/ProCo.Bench -- reads [sqlite|postgres] [points ...]
/// </summary>
internal static class ReadsBench
{
    private static readonly string[] Series = ["CE_loss/train", "SCL_loss/train", "lr", "sys/cpu_percent"];
    private const int Reads = 7;

    public static async Task RunAsync(string[] args)
    {
        // An engine's name (sqlite, postgres) keeps to that engine; numbers are the run sizes.
        var engines = args.Where(a => !char.IsAsciiDigit(a[0])).Select(a => a.ToLowerInvariant()).ToList();
        var numbers = args.Where(a => char.IsAsciiDigit(a[0])).Select(a => long.Parse(a, CultureInfo.InvariantCulture)).ToArray();
        long[] sizes = numbers.Length > 0 ? numbers : [100_000, 1_000_000, 10_000_000];
        var lines = new List<string>();
        if (engines.Count == 0 || engines.Contains("sqlite")) lines.AddRange(await MeasureAsync("SQLite", [], sizes, browser: true));
        if (engines.Count == 0 || engines.Contains("postgres"))
            lines.AddRange(await MeasureAsync("PostgreSQL", ["--ProCo:Database=postgres", $"--ProCo:ConnectionString={LocalServers.NewPostgresDatabase()}"], sizes, browser: false));
        Console.WriteLine();
        Console.WriteLine($"{"engine",-11} {"points",11} {"store points/s",15} {"import points/s",16} {"peak RSS",14} {"4 series x 2,000",17} {"raw 5,000",10} {"detail",8} {"list of 500",12}");
        foreach (var line in lines) Console.WriteLine(line);
    }

    private static async Task<List<string>> MeasureAsync(string engine, string[] store, long[] sizes, bool browser)
    {
        var root = Path.Combine(Path.GetTempPath(), "proco-reads-bench-" + Guid.NewGuid().ToString("N"));
        var app = await WebApp.BuildAsync(["--urls", "http://127.0.0.1:0", $"--ProCo:DataDir={root}", "--ProCo:Workers=0", .. store,
            "--Logging:LogLevel:Default=Warning", "--environment", "Production", "--ProCo:RateLimits:ReadsPerMinute=1000000"]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(5) };
        var lines = new List<string>();
        try
        {
            var factory = app.Services.GetRequiredService<IDbContextFactory<ProCoDbContext>>();
            // 500 runs in the list, the measured run of each size among them.
            // 200 epochs each, so that the epoch axis of the run page reads as a real run's would.
            var measured = sizes.Select(size => NewRun($"{size:N0} points", 0)).ToList();
            foreach (var (run, size) in measured.Zip(sizes)) run.StepsPerEpoch = (int)Math.Max(1, size / Series.Length / 200);
            await using (var db = await factory.CreateDbContextAsync())
            {
                db.Runs.AddRange(measured);
                for (var r = 0; r < 500 - sizes.Length; r++) db.Runs.Add(NewRun($"listed {r}", r));
                await db.SaveChangesAsync();
            }
            // Warm-up: a small run written and read once, so that the first size does not pay for JIT and prepared statements.
            await using (var db = await factory.CreateDbContextAsync())
            {
                var warm = NewRun("warm-up", 0);
                db.Runs.Add(warm);
                await db.SaveChangesAsync();
                await MetricStore.WriteAsync(db, Series.SelectMany(n => Enumerable.Range(0, 10_000).Select(s => new MetricPoint { RunId = warm.Id, Series = n, Step = s, Value = Value(n, s) })).ToList(), [], []);
                await MedianAsync(http, $"/api/runs/{warm.Id}/metrics?series={string.Join(',', Series.Select(Uri.EscapeDataString))}&maxPoints=2000", _ => null);
            }
            foreach (var (size, id) in sizes.Zip(measured.Select(r => r.Id)))
            {
                var steps = size / Series.Length;
                var watch = Stopwatch.StartNew();
                const long chunkSteps = 25_000; // 100,000 points a transaction
                for (var start = 0L; start < steps; start += chunkSteps)
                {
                    var batch = new List<MetricPoint>((int)(chunkSteps * Series.Length));
                    foreach (var name in Series)
                        for (var s = start; s < Math.Min(steps, start + chunkSteps); s++)
                            batch.Add(new MetricPoint { RunId = id, Series = name, Step = s, Value = Value(name, s) });
                    await using var db = await factory.CreateDbContextAsync();
                    await MetricStore.WriteAsync(db, batch, [], []);
                }
                var storeRate = size / watch.Elapsed.TotalSeconds;
                var (importRate, peak) = await ImportAsync(factory, root, size);

                var page = await MedianAsync(http, $"/api/runs/{id}/metrics?series={string.Join(',', Series.Select(Uri.EscapeDataString))}&maxPoints=2000",
                    json => json.EnumerateArray().Sum(s => s.GetProperty("steps").GetArrayLength()) is var n && n >= 4 * 900 && n <= 4 * 2000 ? null : $"{n} points");
                var from = steps / 2 + 7;
                var raw = await MedianAsync(http, $"/api/runs/{id}/metrics?series={Uri.EscapeDataString(Series[0])}&fromStep={from}&toStep={from + 4_999}&maxPoints=5000",
                    json => json[0].GetProperty("steps").GetArrayLength() == 5000 ? null : "not 5,000 points");
                var detail = await MedianAsync(http, $"/api/runs/{id}", json => json.GetProperty("series").GetArrayLength() == Series.Length ? null : "series missing");
                var list = await MedianAsync(http, "/api/runs?pageSize=500", json => json.GetProperty("items").GetArrayLength() == 500 ? null : "not 500 runs");
                var line = string.Create(CultureInfo.InvariantCulture,
                    $"{engine,-11} {size,11:N0} {storeRate,15:N0} {importRate,16:N0} {peak,10:N0} MiB {page,14:F1} ms {raw,7:F1} ms {detail,5:F1} ms {list,9:F1} ms");
                Console.WriteLine(line);
                lines.Add(line);
            }
            if (browser) await RunPageAsync(address, sizes.Max(), measured[Array.IndexOf(sizes, sizes.Max())].Id);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
        return lines;
    }

    // The importer's path, whole: a TensorBoard log of the same size (four tags, one scalar an event, as
    // add_scalar writes them) read, merged and stored by TensorBoardImporter in one transaction, as the
    // import endpoint runs it; points per second from opening the files to the commit, and the process's
    // peak working set after it (the largest size's is the importer's at that size).
    private static async Task<(double Rate, double PeakMiB)> ImportAsync(IDbContextFactory<ProCoDbContext> factory, string root, long size)
    {
        var folder = Path.Combine(root, "logs", $"imported-{size}");
        Directory.CreateDirectory(folder);
        var steps = size / Series.Length;
        await using (var file = new BufferedStream(File.Create(Path.Combine(folder, "events.out.tfevents.1700000000.bench")), 1 << 20))
            EventFiles.Write(file, Series.SelectMany(name => LongRange(steps).Select(s => new ScalarEvent(name, s, (float)Value(name, s), 1_700_000_000 + s * 0.05))));
        var cap = new ProCo.Web.Runs.ImportOptions().MaxPoints;
        var watch = Stopwatch.StartNew();
        await using (var db = await factory.CreateDbContextAsync())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            var result = await TensorBoardImporter.ImportRunAsync(db, folder, maxPoints: cap);
            if (result.Points != size) throw new InvalidOperationException($"The import stored {result.Points:N0} points of {size:N0}.");
            await transaction.CommitAsync();
        }
        var rate = size / watch.Elapsed.TotalSeconds;
        Directory.Delete(folder, recursive: true);
        using var process = Process.GetCurrentProcess();
        return (rate, process.PeakWorkingSet64 / 1048576.0);

        static IEnumerable<long> LongRange(long count)
        {
            for (var i = 0L; i < count; i++) yield return i;
        }
    }

    // The largest run's page in Debian's Chromium: navigation to charts drawn, three times, and a screenshot to look at.
    private static async Task RunPageAsync(string address, long size, long id)
    {
        using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        await using var chromium = await TestSurface.LaunchChromiumAsync(playwright);
        var context = await chromium.NewContextAsync(new Microsoft.Playwright.BrowserNewContextOptions
        {
            BaseURL = address + "/", ViewportSize = new Microsoft.Playwright.ViewportSize { Width = 1600, Height = 1000 },
        });
        await TestSurface.InstallAsync(context);
        var times = new List<double>();
        var shot = Path.Combine(Path.GetTempPath(), $"proco-reads-run-{size}.png");
        for (var i = 0; i < 3; i++)
        {
            var page = await context.NewPageAsync();
            var watch = Stopwatch.StartNew();
            await page.GotoAsync($"/runs/{id}");
            await page.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 120_000 });
            await page.EvaluateAsync("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
            times.Add(watch.Elapsed.TotalMilliseconds);
            if (i == 0)
            {
                await page.WaitForTimeoutAsync(1500);
                var metricBytes = await page.EvaluateAsync<double>(
                    "() => performance.getEntriesByType('resource').filter(e => e.name.includes('/metrics')).reduce((n, e) => n + e.encodedBodySize, 0)");
                await page.ScreenshotAsync(new() { Path = shot, FullPage = true });
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run page of the {size:N0}-point run: {metricBytes / 1024:N0} KiB of metrics on first load; screenshot {shot}"));
            }
            await page.CloseAsync();
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"run page of the {size:N0}-point run in Chromium: first {times[0]:F0} ms, then {times.Skip(1).Average():F0} ms (navigation to charts drawn)"));
    }

    // A noisy, decaying loss with a spike every 100,003 steps: something for the downsampling to keep.
    private static double Value(string series, long step) =>
        (step % 100_003 == 0 ? 40 : 0) + 2.0 / (1 + step / 5_000.0) + 0.05 * Math.Sin(step * 0.37 + series.Length);

    private static Run NewRun(string name, int i) => new()
    {
        Name = name, Method = "proco", Dataset = "cifar100", ImbalanceFactor = 0.01, Epochs = 200, Status = RunStatus.Succeeded, StepsPerEpoch = 391,
        CompletedEpochs = 200, BestTop1 = 40 + i % 17, CreatedAt = DateTimeOffset.UtcNow.AddMinutes(-i), ConfigJson = "{}",
    };

    // Median milliseconds of the reads after two warm-up reads; each answer checked (null: as expected).
    private static async Task<double> MedianAsync(HttpClient http, string path, Func<JsonElement, string?> check)
    {
        var times = new List<double>();
        for (var i = 0; i < Reads + 2; i++)
        {
            var watch = Stopwatch.StartNew();
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
            var body = await response.Content.ReadAsStringAsync();
            var elapsed = watch.Elapsed.TotalMilliseconds;
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {body}");
            using var json = JsonDocument.Parse(body);
            if (check(json.RootElement) is { } problem) throw new InvalidOperationException($"{path}: {problem}");
            if (i >= 2) times.Add(elapsed);
        }
        times.Sort();
        return times[times.Count / 2];
    }
}
