using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;

namespace ProCo.Web.Tests;

/// <summary>
/// Sweeps as one command: a grid of 30 runs queued by one call of the API and of the CLI, stored with what varied and
/// how, every run pointing to it and named by what sets it apart; a sweep with one bad value queues nothing.
/// </summary>
[Collection(AppHost.Name)]
public sealed class SweepTests(WebOnlyStudioFactory factory) : IClassFixture<WebOnlyStudioFactory>
{
    private static object Grid(string alphas = "0.5, 1, 1.5, 2, 3") => new
    {
        name = "alpha sweep",
        tags = new[] { "sweep" },
        config = new { dataset = "fashion-mnist", maxPerClass = 60, maxTestPerClass = 10, epochs = 2, batchSize = 32, depth = 8 },
        sweep = new { kind = "grid", lists = new Dictionary<string, string> { ["alpha"] = alphas, ["seed"] = "0, 1, 2, 3, 4, 5" } },
    };

    [Fact]
    public async Task AGridOf30_IsQueuedByOneCall_StoredWithWhatVaried_AndEachRunPointsToIt()
    {
        using var http = factory.CreateClient();
        var before = factory.Store.Scalar("SELECT COUNT(*) FROM \"Runs\"");
        var response = await http.PostAsJsonAsync(new Uri("/api/sweeps", UriKind.Relative), Grid());
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        var created = JsonDocument.Parse(body).RootElement;
        var id = created.GetProperty("id").GetInt64();
        Assert.Equal(30, created.GetProperty("runIds").GetArrayLength());
        Assert.Equal(before + 30, factory.Store.Scalar("SELECT COUNT(*) FROM \"Runs\""));
        Assert.Equal(30, factory.Store.Scalar($"SELECT COUNT(*) FROM \"Runs\" WHERE \"SweepId\" = {id} AND \"Status\" = 'Queued' AND \"JobId\" IS NOT NULL"));

        var sweep = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/sweeps/{id}", UriKind.Relative))).RootElement;
        Assert.Equal(("alpha sweep", "grid"), (sweep.GetProperty("name").GetString(), sweep.GetProperty("kind").GetString()));
        Assert.Equal("0, 1, 2, 3, 4, 5", sweep.GetProperty("spec").GetProperty("lists").GetProperty("seed").GetString());
        var runs = sweep.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(30, runs.Count);
        // Runs that can be told apart: each named by what sets it apart.
        var names = runs.Select(r => r.GetProperty("name").GetString()!).ToList();
        Assert.Equal(30, names.Distinct().Count());
        Assert.Contains("alpha sweep · α 1.5, seed 4", names);
        Assert.All(runs, r => Assert.Equal("sweep", r.GetProperty("tags")[0].GetString()));

        // Compared side by side: the fields that vary are the differences, and runs that differ only in seeds are one group.
        long Id(string label) => runs.Single(r => r.GetProperty("name").GetString() == $"alpha sweep · {label}").GetProperty("id").GetInt64();
        long[] ids = [Id("α 0.5, seed 0"), Id("α 0.5, seed 1"), Id("α 1, seed 0"), Id("α 1, seed 1")];
        var compared = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/compare?ids={string.Join(',', ids)},999999", UriKind.Relative))).RootElement;
        Assert.Equal(ids, compared.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()));
        var differences = compared.GetProperty("differences").EnumerateArray().ToDictionary(d => d.GetProperty("field").GetString()!,
            d => string.Join(" ", d.GetProperty("values").EnumerateArray().Select(v => v.GetString())));
        Assert.Equal(["alpha", "seed"], differences.Keys.Order());
        Assert.Equal("0.5 0.5 1 1", differences["alpha"]);
        Assert.Equal("0 1 0 1", differences["seed"]);
        Assert.Equal([[ids[0], ids[1]], [ids[2], ids[3]]], compared.GetProperty("seedGroups").EnumerateArray()
            .Select(g => g.GetProperty("ids").EnumerateArray().Select(i => i.GetInt64()).ToArray()));
        var refused = await http.GetAsync(new Uri("/api/compare?ids=3,x", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("'x' is not one", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASweepWithOneBadValue_QueuesNothing_AndSaysWhichListAndWhy()
    {
        using var http = factory.CreateClient();
        var before = factory.Store.Scalar("SELECT COUNT(*) FROM \"Runs\"");
        var response = await http.PostAsJsonAsync(new Uri("/api/sweeps", UriKind.Relative), Grid("0.5, 1, -2"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.StartsWith("α (ProCo weight) values: -2 is not allowed.", errors.GetProperty("sweep.alpha")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(before, factory.Store.Scalar("SELECT COUNT(*) FROM \"Runs\""));

        // A random search is stored with its sampler seed, and the same seed draws the same runs again.
        object Search() => new
        {
            config = new { dataset = "fashion-mnist", maxPerClass = 60, maxTestPerClass = 10, epochs = 2, batchSize = 32, depth = 8 },
            sweep = new { kind = "random", lists = new Dictionary<string, string> { ["learningRate"] = "0.01..0.3 log", ["seed"] = "0, 1" }, samples = 4, samplerSeed = 7 },
        };
        var first = JsonDocument.Parse(await (await http.PostAsJsonAsync(new Uri("/api/sweeps", UriKind.Relative), Search())).Content.ReadAsStringAsync()).RootElement;
        var second = JsonDocument.Parse(await (await http.PostAsJsonAsync(new Uri("/api/sweeps", UriKind.Relative), Search())).Content.ReadAsStringAsync()).RootElement;
        async Task<string[]> Rates(JsonElement created) => JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/sweeps/{created.GetProperty("id").GetInt64()}", UriKind.Relative)))
            .RootElement.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("recipe").GetString()!).ToArray();
        var drawn = await Rates(first);
        Assert.Equal(8, drawn.Length);
        Assert.Equal(drawn, await Rates(second));
        var stored = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/sweeps/{first.GetProperty("id").GetInt64()}", UriKind.Relative))).RootElement;
        Assert.Equal((4, 7), (stored.GetProperty("spec").GetProperty("samples").GetInt32(), stored.GetProperty("spec").GetProperty("samplerSeed").GetInt32()));

        // The runs CSV, as pandas reads it: one column per configuration field, each run's drawn values in it.
        var csv = Path.Combine(Path.GetTempPath(), $"proco-runs-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(csv, await http.GetStringAsync(new Uri("/api/runs/export.csv", UriKind.Relative)));
        try
        {
            var run = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/usr/bin/python3",
                ["-c", "import sys, pandas; d = pandas.read_csv(sys.argv[1]); print(','.join(d.columns)); "
                       + "s = d[d['sweep_id'] == int(sys.argv[2])].sort_values('id'); "
                       + "print(s['config.learningRate'].dtype, s['config.seed'].dtype, pandas.api.types.is_numeric_dtype(s['config.alpha']), s['config.dataset'].iloc[0]); "
                       + "print(';'.join(f'{i}={lr!r}' for i, lr in zip(s['id'], s['config.learningRate'])))",
                 csv, first.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture)])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = await run.StandardOutput.ReadToEndAsync();
            var error = await run.StandardError.ReadToEndAsync();
            await run.WaitForExitAsync();
            Assert.True(run.ExitCode == 0, error);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var columns = lines[0].Split(',');
            Assert.All(ProCo.Training.Engine.ConfigSchema.Fields, f => Assert.Contains("config." + f.Name, columns));
            Assert.Contains("sweep_id", columns);
            Assert.Equal("float64 int64 True fashion-mnist", lines[1]);
            // Each run's learning rate in the CSV is the one its configuration holds, as the API lists it.
            var listed = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/runs?pageSize=500", UriKind.Relative))).RootElement.GetProperty("items")
                .EnumerateArray().Where(r => r.GetProperty("sweepId").ValueKind == JsonValueKind.Number && r.GetProperty("sweepId").GetInt64() == first.GetProperty("id").GetInt64())
                .OrderBy(r => r.GetProperty("id").GetInt64())
                .Select(r => $"{r.GetProperty("id").GetInt64()}={r.GetProperty("config").GetProperty("learningRate").GetDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture)}");
            Assert.Equal(string.Join(';', listed), lines[2]);
        }
        finally
        {
            File.Delete(csv);
        }
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task TheCommandLine_QueuesA30RunSweep_InOneCall(string engine)
    {
        using var store = new TestStore(engine);
        var (code, output) = await StudioProcess.RunAsync(null, ["sweep", "--preset", "cpu-demo", "--epochs", "2", "--vary", "alpha=0.5,1,1.5,2,3",
            "--vary", "seed=0,1,2,3,4,5", "--name", "cli sweep", $"--ProCo:DataDir={store.DataDir}", .. store.Args]);
        Assert.True(code == 0, output);
        Assert.Matches(@"Sweep \d+: 30 runs queued \(runs \d+ to \d+\)", output);
        Assert.Equal(30, store.Scalar("SELECT COUNT(*) FROM \"Runs\" WHERE \"SweepId\" IS NOT NULL AND \"Status\" = 'Queued' AND \"JobId\" IS NOT NULL"));
        Assert.Equal(30, store.Scalar("SELECT COUNT(DISTINCT \"Name\") FROM \"Runs\""));

        // Refused as a whole: nothing more is queued.
        (code, output) = await StudioProcess.RunAsync(null, ["sweep", "--preset", "cpu-demo", "--vary", "alpha=1,-2", $"--ProCo:DataDir={store.DataDir}", .. store.Args]);
        Assert.Equal(2, code);
        Assert.Contains("sweep.alpha: α (ProCo weight) values: -2 is not allowed.", output, StringComparison.Ordinal);
        Assert.Contains("Nothing was queued.", output, StringComparison.Ordinal);
        Assert.Equal(30, store.Scalar("SELECT COUNT(*) FROM \"Runs\""));
    }
}
