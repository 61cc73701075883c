using System.Globalization;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProCo.Data;

namespace ProCo.Web.Tests;

/// <summary>The REST API on the real app (test server, real SQLite files, Hangfire training in-process).</summary>
[Collection(AppHost.Name)]
public sealed class RunsApiTests(StudioFactory factory) : RunsApiTestsOn<StudioFactory>(factory);

/// <summary>The same tests with runs and Hangfire's jobs in a real PostgreSQL database.</summary>
[Collection(AppHost.Name)]
public sealed class RunsApiOnPostgresTests(PostgresStudioFactory factory) : RunsApiTestsOn<PostgresStudioFactory>(factory);

/// <summary>The REST API's tests, on the store <typeparamref name="TFactory"/> configures.</summary>
public abstract class RunsApiTestsOn<TFactory> : IClassFixture<TFactory> where TFactory : StudioFactory
{
    private readonly TFactory _factory;

    protected RunsApiTestsOn(TFactory factory) => _factory = factory;

    private static async Task<long> FinishedRunAsync(HttpClient http)
    {
        var id = await Api.CreateRunAsync(http, Api.TinyConfig(epochs: 1, maxPerClass: 40), "finished");
        var run = await Api.WaitForAsync(http, id, r => r.GetProperty("status").GetString() is "Succeeded" or "Failed", TimeSpan.FromSeconds(90));
        Assert.True(run.GetProperty("status").GetString() == "Succeeded", $"run {id} ended {run.GetProperty("status").GetString()}: {run.GetProperty("error")}");
        return id;
    }

    [Fact]
    public async Task Create_WithInvalidFields_Returns400NamingEachField()
    {
        using var http = _factory.CreateClient();
        var response = await http.PostAsJsonAsync(new Uri("/api/runs", UriKind.Relative),
            new { name = "bad", config = new { dataset = "imagenet", imbalanceFactor = 100, batchSize = 1, method = "focal", depth = 21 } });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        var fields = errors.EnumerateObject().Select(p => p.Name).Order().ToArray();
        Assert.Equal(["config.batchSize", "config.dataset", "config.depth", "config.imbalanceFactor", "config.method"], fields);
        Assert.Contains("Unknown dataset 'imagenet'", errors.GetProperty("config.dataset")[0].GetString(), StringComparison.Ordinal);

        // An unknown config field (here the CLI's --preset) is refused, not read as the default recipe.
        var unknown = await http.PostAsJsonAsync(new Uri("/api/runs", UriKind.Relative), new { name = "preset", config = new { preset = "cpu-demo" } });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        var reason = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString();
        Assert.Contains("'preset' could not be mapped", reason, StringComparison.Ordinal);
        Assert.Contains("TrainingConfig", reason, StringComparison.Ordinal);
        // A parameter of the wrong type names itself too.
        var badPage = await http.GetAsync(new Uri("/api/runs?page=two", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, badPage.StatusCode);
        Assert.Contains("page", JsonDocument.Parse(await badPage.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var missing = await http.PostAsJsonAsync(new Uri("/api/runs", UriKind.Relative), new { name = "no config" });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("\"config\"", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigFieldsAndTheSeriesTable_AreServedFromTheirOneDefinition_AndANullFieldIs400NamingIt()
    {
        using var http = _factory.CreateClient();
        var fields = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/config", UriKind.Relative))).RootElement.EnumerateArray()
            .ToDictionary(f => f.GetProperty("name").GetString()!);
        Assert.Equal(ProCo.Training.Engine.ConfigSchema.Fields.Select(f => f.Name).Order(), fields.Keys.Order());
        var imbalance = fields["imbalanceFactor"];
        Assert.Equal((0.0, 1.0, true, "imbalance", "number"), (imbalance.GetProperty("min").GetDouble(), imbalance.GetProperty("max").GetDouble(),
            imbalance.GetProperty("minExclusive").GetBoolean(), imbalance.GetProperty("option").GetString(), imbalance.GetProperty("kind").GetString()));
        Assert.Equal(["proco", "la", "ce"], fields["method"].GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("value").GetString()));
        Assert.Equal(0.3, fields["learningRate"].GetProperty("default").GetDouble());
        Assert.Equal(JsonValueKind.Null, fields["warmupEpochs"].GetProperty("default").ValueKind);

        // The API schema describes each field of the run body the same way.
        var openapi = await http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        Assert.Equal("Learning rate: Scaled with the batch size (the ImageNet rows: 0.1 at 256, so 0.05 at 128). Above 0 and at most 100. Default 0.3.", ProCo.Training.Engine.ConfigSchema.Get("learningRate").Describe());
        Assert.Contains("Learning rate: Scaled with the batch size (the ImageNet rows: 0.1 at 256, so 0.05 at 128). Above 0 and at most 100. Default 0.3.", openapi, StringComparison.Ordinal);
        Assert.Contains("Method. One of proco, la, ce. Default proco.", openapi, StringComparison.Ordinal);

        var table = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/series", UriKind.Relative))).RootElement;
        Assert.Equal(["acc", "loss", "shots", "valloss", "lr", "throughput", "utilisation", "memory"], table.GetProperty("charts").EnumerateArray().Select(c => c.GetProperty("key").GetString()));
        var series = table.GetProperty("series").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        Assert.Equal(("Step", "loss", false), (series["CE_loss/train"].GetProperty("cadence").GetString(), series["CE_loss/train"].GetProperty("chart").GetString(),
            series["CE_loss/train"].GetProperty("higherIsBetter").GetBoolean()));
        Assert.Equal(("Epoch", "acc", true), (series["acc/val_top1"].GetProperty("cadence").GetString(), series["acc/val_top1"].GetProperty("chart").GetString(),
            series["acc/val_top1"].GetProperty("higherIsBetter").GetBoolean()));
        // The per-class vector kinds the browser keeps, and which the heatmap shows, come from the same table.
        var vectors = table.GetProperty("vectors").EnumerateArray().ToList();
        Assert.Equal(["kappa", "kappa_test", "accuracy", "counts"], vectors.Select(v => v.GetProperty("kind").GetString()));
        Assert.Equal([true, true, false, false], vectors.Select(v => v.GetProperty("heatmap").GetBoolean()));
        Assert.Equal([true, true, true, false], vectors.Select(v => v.GetProperty("perEpoch").GetBoolean()));
        Assert.Equal("κ of the test features", vectors[1].GetProperty("label").GetString());

        var nulls = await http.PostAsJsonAsync(new Uri("/api/runs", UriKind.Relative), new { config = new { dataset = (string?)null, device = (string?)null } });
        Assert.Equal(HttpStatusCode.BadRequest, nulls.StatusCode);
        var errors = JsonDocument.Parse(await nulls.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.Equal("Dataset is required.", errors.GetProperty("config.dataset")[0].GetString());
        Assert.Equal("Device is required.", errors.GetProperty("config.device")[0].GetString());
    }

    [Fact]
    public async Task AFinishedRun_ServesStepRangesVectorWindowsAndItsCapabilities_EditsAreValidatedAsOnCreate_AndTheHubRefusesUnknownRuns()
    {
        using var http = _factory.CreateClient();
        // Two epochs of about four steps: enough points for a range and a downsampled read.
        var id = await Api.CreateRunAsync(http, Api.TinyConfig(epochs: 2, maxPerClass: 40), "ranges");
        var finished = await Api.WaitForAsync(http, id, r => r.GetProperty("status").GetString() is "Succeeded" or "Failed", TimeSpan.FromSeconds(90));
        Assert.Equal("Succeeded", finished.GetProperty("status").GetString());
        var all = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}/metrics?series=CE_loss/train,lr,acc/val_top1,nope", UriKind.Relative))).RootElement;
        Assert.Equal(["CE_loss/train", "acc/val_top1", "lr", "nope"], all.EnumerateArray().Select(s => s.GetProperty("series").GetString()));
        var steps = all[0].GetProperty("steps").EnumerateArray().Select(s => s.GetInt64()).ToArray();
        Assert.Equal(0, all[3].GetProperty("total").GetInt64());
        Assert.True(steps.Length >= 5, $"{steps.Length} steps");
        // A step range, and a downsampled read that keeps the first, the last and each bucket's extremes.
        var range = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}/metrics?series=CE_loss/train&fromStep={steps[1]}&toStep={steps[3]}", UriKind.Relative))).RootElement[0];
        Assert.Equal(steps[1..4], range.GetProperty("steps").EnumerateArray().Select(s => s.GetInt64()));
        Assert.Equal(3, range.GetProperty("total").GetInt64());
        var thin = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}/metrics?series=CE_loss/train&maxPoints=4", UriKind.Relative))).RootElement[0];
        var thinSteps = thin.GetProperty("steps").EnumerateArray().Select(s => s.GetInt64()).ToArray();
        Assert.Equal(steps.Length, thin.GetProperty("total").GetInt64());
        Assert.True(thinSteps.Length <= 4 && thinSteps[0] == steps[0] && thinSteps[^1] == steps[^1], string.Join(",", thinSteps));
        var values = all[0].GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Contains(values.Skip(1).SkipLast(1).Max(), thin.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()));

        var counts = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}/vectors?kind=counts&latest=true", UriKind.Relative))).RootElement;
        Assert.Equal(1, counts.GetArrayLength());
        var after = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}/vectors?kind=kappa&afterEpoch=1", UriKind.Relative))).RootElement;
        Assert.Equal([2], after.EnumerateArray().Select(v => v.GetProperty("epoch").GetInt32()));
        Assert.Equal(2, counts[0].GetProperty("epoch").GetInt32());

        var run = await Api.RunAsync(http, id);
        Assert.Equal((false, false, false, true), (run.GetProperty("live").GetBoolean(), run.GetProperty("canCancel").GetBoolean(),
            run.GetProperty("canResume").GetBoolean(), run.GetProperty("canDelete").GetBoolean()));
        // Editing takes the same name and tag rules as creating.
        var longTag = await http.PatchAsJsonAsync(new Uri($"/api/runs/{id}", UriKind.Relative), new { tags = new[] { new string('t', 51) } });
        Assert.Equal(HttpStatusCode.BadRequest, longTag.StatusCode);
        Assert.Contains("at most 50 characters", await longTag.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var missing = await http.PatchAsJsonAsync(new Uri("/api/runs/987654", UriKind.Relative), new { name = "nobody" });
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(_factory.Server.BaseAddress, "hubs/runs"), o =>
            {
                o.HttpMessageHandlerFactory = _ => _factory.Server.CreateHandler();
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
            }).Build();
        await hub.StartAsync();
        await hub.InvokeAsync("Subscribe", id);
        var unknown = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => hub.InvokeAsync("Subscribe", 987654L));
        Assert.Contains("Run 987654 does not exist", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListingRefusesFlagStatusesAndPagesPastTheEnd_CsvNeutralisesFormulas_AndAnswersCarrySecurityHeaders()
    {
        using var http = _factory.CreateClient();
        foreach (var status in new[] { "Queued,Running", "1", "Succeeded, Failed" })
        {
            var bad = await http.GetAsync(new Uri($"/api/runs?status={Uri.EscapeDataString(status)}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }
        var far = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/runs?page=2147483647&pageSize=500", UriKind.Relative))).RootElement;
        Assert.Equal(0, far.GetProperty("items").GetArrayLength());
        Assert.Equal(2147483647, far.GetProperty("page").GetInt32());

        // A run whose name and tag a spreadsheet would run as formulas.
        var id = await Api.CreateRunAsync(http, Api.TinyConfig(epochs: 1), "=HYPERLINK(\"http://x\",\"y\")");
        await http.PostAsync(new Uri($"/api/runs/{id}/cancel", UriKind.Relative), null);
        var patched = await http.PatchAsJsonAsync(new Uri($"/api/runs/{id}", UriKind.Relative), new { tags = new[] { "@cmd", "+1" } });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var csv = await http.GetStringAsync(new Uri("/api/runs/export.csv", UriKind.Relative));
        Assert.Contains($"\n{id},\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",", csv, StringComparison.Ordinal);
        Assert.Contains(",\"'@cmd,+1\",", csv, StringComparison.Ordinal);

        var page = await http.GetAsync(new Uri("/runs/new", UriKind.Relative));
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("same-origin", page.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        var api = await http.GetAsync(new Uri("/api/series", UriKind.Relative));
        Assert.Equal("nosniff", api.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task NamesAndTags_RefuseHiddenCharacters_AndARunCarriesAtMostTwentyTags()
    {
        using var http = _factory.CreateClient();
        async Task<JsonElement> RefusedAsync(HttpResponseMessage response)
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        }
        // A right-to-left override makes "report\u202Etxt.exe" show as "reportexe.txt".
        foreach (var name in new[] { "report\u202Etxt.exe", "a\u2066b", "two\nlines", "bell\u0007" })
        {
            var errors = await RefusedAsync(await http.PostAsJsonAsync(new Uri("/api/runs", UriKind.Relative), new { config = Api.TinyConfig(), name }));
            Assert.Contains("text-direction", errors.GetProperty("name")[0].GetString(), StringComparison.Ordinal);
        }
        var tagged = await RefusedAsync(await http.PostAsJsonAsync(new Uri("/api/runs", UriKind.Relative), new { config = Api.TinyConfig(), tags = new[] { "ok", "x\u200Fy" } }));
        Assert.Contains("text-direction", tagged.GetProperty("tags")[0].GetString(), StringComparison.Ordinal);
        var many = await RefusedAsync(await http.PostAsJsonAsync(new Uri("/api/runs", UriKind.Relative),
            new { config = Api.TinyConfig(), tags = Enumerable.Range(0, 5000).Select(i => $"t{i}").ToArray() }));
        Assert.Equal("At most 20 tags a run (5000 given).", many.GetProperty("tags")[0].GetString());

        // Editing holds to the same rules, and twenty plain tags pass.
        var id = await Api.CreateRunAsync(http, Api.TinyConfig(epochs: 1), "plain name");
        await http.PostAsync(new Uri($"/api/runs/{id}/cancel", UriKind.Relative), null);
        var renamed = await RefusedAsync(await http.PatchAsJsonAsync(new Uri($"/api/runs/{id}", UriKind.Relative), new { name = "x\u202Dy" }));
        Assert.True(renamed.TryGetProperty("name", out _));
        var twenty = await http.PatchAsJsonAsync(new Uri($"/api/runs/{id}", UriKind.Relative), new { tags = Enumerable.Range(0, 20).Select(i => $"t{i}").ToArray() });
        Assert.Equal(HttpStatusCode.OK, twenty.StatusCode);
        var run = await Api.RunAsync(http, id);
        Assert.Equal("plain name", run.GetProperty("name").GetString());
        Assert.Equal(20, run.GetProperty("tags").GetArrayLength());
    }

    [Fact]
    public async Task MalformedPageAddresses_AnswerWithAPageOrNotFound_NeverAServerError()
    {
        using var http = _factory.CreateClient();
        // A clone of something that is no run number: the form, from its preset.
        foreach (var clone in new[] { "abc", "99999999999999999999", "-3", "0", "1e3", " 7" })
        {
            var page = await http.GetAsync(new Uri($"/runs/new?clone={Uri.EscapeDataString(clone)}", UriKind.Relative));
            Assert.True(page.StatusCode == HttpStatusCode.OK, $"/runs/new?clone={clone}: {(int)page.StatusCode}");
            Assert.Contains("New run", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        foreach (var path in new[] { "/runs/abc", "/runs/99999999999999999999", "/runs/-1", "/runs/987654321" })
        {
            var page = await http.GetAsync(new Uri(path, UriKind.Relative));
            Assert.True(page.StatusCode == HttpStatusCode.NotFound, $"{path}: {(int)page.StatusCode}");
        }
    }

    [Fact]
    public async Task CrossOriginWrites_AreRefusedWhateverTheContentType_WhileTheAppsOwnPagesAndOriginlessClientsPass()
    {
        using var http = _factory.CreateClient();
        var id = await Api.CreateRunAsync(http, Api.TinyConfig(epochs: 30, maxPerClass: 300), "cross-origin target");
        async Task<HttpStatusCode> SendAsync(HttpMethod method, string path, HttpContent? content, string? origin, string? referer = null)
        {
            using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = content };
            if (origin is not null) request.Headers.Add("Origin", origin);
            if (referer is not null) request.Headers.Referrer = new Uri(referer);
            return (await http.SendAsync(request)).StatusCode;
        }

        var cancel = $"/api/runs/{id}/cancel";
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Post, cancel, null, "http://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Post, cancel, new StringContent("x", System.Text.Encoding.UTF8, "text/plain"), "http://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Post, cancel,
            new FormUrlEncodedContent(new Dictionary<string, string> { ["a"] = "b" }), null, "http://evil.example/page"));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Post, cancel, null, "null"));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Delete, $"/api/runs/{id}", null, "http://localhost.evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Post, "/api/import",
            new MultipartFormDataContent { { new ByteArrayContent([1]), "files", "r/events.out.tfevents.1.x" } }, "https://evil.example"));
        // Opening the hub from a foreign page is refused as well.
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Post, "/hubs/runs/negotiate?negotiateVersion=1", null, "http://evil.example"));
        Assert.Contains((await Api.RunAsync(http, id)).GetProperty("status").GetString(), new[] { "Queued", "Running" }); // nothing was cancelled

        // Reading is not refused (the browser keeps the answer from a foreign page), and the app's own origin acts.
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Get, "/api/runs", null, "http://evil.example"));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Post, cancel, null, "http://localhost", "http://localhost/runs"));
    }

    [Fact]
    public async Task Cancel_OfARunningRun_ReachesCancelledWithACheckpointWithin5SecondsPlusAStep()
    {
        using var http = _factory.CreateClient();
        var id = await Api.CreateRunAsync(http, Api.TinyConfig(epochs: 30, maxPerClass: 300), "to cancel");
        await Api.WaitForAsync(http, id, r => r.GetProperty("status").GetString() == "Running", TimeSpan.FromSeconds(60));
        // Let it take some steps first.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var metrics = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}/metrics?series=CE_loss/train", UriKind.Relative))).RootElement;
            if (metrics[0].GetProperty("total").GetInt64() >= 3) break;
            await Task.Delay(100);
        }
        var watch = Stopwatch.StartNew();
        var response = await http.PostAsync(new Uri($"/api/runs/{id}/cancel", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var run = await Api.WaitForAsync(http, id, r => r.GetProperty("status").GetString() == "Cancelled", TimeSpan.FromSeconds(10));
        watch.Stop();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(6), $"took {watch.Elapsed}");
        var checkpoints = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}/checkpoints", UriKind.Relative))).RootElement;
        Assert.Contains(checkpoints.EnumerateArray(), c => c.GetProperty("kind").GetString() == "last");
        var events = (await Api.EventsAsync(http, id)).Select(e => e.GetProperty("message").GetString()!).ToArray();
        Assert.Contains(events, m => m.StartsWith("Cancelled", StringComparison.Ordinal));
        Assert.True(run.GetProperty("finishedAt").ValueKind == JsonValueKind.String);

        // A cancelled run resumes from its checkpoint.
        var resume = await http.PostAsync(new Uri($"/api/runs/{id}/resume", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, resume.StatusCode);
        await Api.WaitForAsync(http, id, r => r.GetProperty("status").GetString() == "Running", TimeSpan.FromSeconds(30));
        await http.PostAsync(new Uri($"/api/runs/{id}/cancel", UriKind.Relative), null);
        await Api.WaitForAsync(http, id, r => r.GetProperty("status").GetString() == "Cancelled", TimeSpan.FromSeconds(15));
        Assert.Contains(await Api.EventsAsync(http, id), e => e.GetProperty("message").GetString()!.Contains("resuming from", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunWhoseDatasetIsOnNoWorker_WaitsAndSaysWhy_WhileTheWorkersPageListsWhatEachHas()
    {
        using var http = _factory.CreateClient();
        // This process is the only worker; it has Fashion-MNIST (Debian's package) and no CIFAR-10.
        var workers = await http.GetFromJsonAsync<JsonElement>(new Uri("/api/workers", UriKind.Relative));
        var worker = Assert.Single(workers.EnumerateArray());
        Assert.Equal(Environment.MachineName, worker.GetProperty("host").GetString());
        Assert.Equal(["cpu"], worker.GetProperty("devices").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(["cpu"], worker.GetProperty("kinds").EnumerateArray().Select(d => d.GetString()));
        var datasets = worker.GetProperty("datasets").EnumerateArray().Select(d => d.GetString()).ToList();
        Assert.Contains("fashion-mnist", datasets);
        Assert.DoesNotContain("cifar10", datasets);
        Assert.Contains("cpu-fashion-mnist", worker.GetProperty("queues").EnumerateArray().Select(d => d.GetString()));

        var id = await Api.CreateRunAsync(http, new { dataset = "cifar10", imbalanceFactor = 0.01, epochs = 1, batchSize = 32, depth = 8 }, "no data");
        await Task.Delay(TimeSpan.FromSeconds(2)); // a worker fetching it would have started by now
        var detail = await http.GetFromJsonAsync<JsonElement>(new Uri($"/api/runs/{id}", UriKind.Relative));
        Assert.Equal("Queued", detail.GetProperty("run").GetProperty("status").GetString());
        Assert.StartsWith($"The dataset cifar10 is missing on every live worker ({Environment.MachineName})", detail.GetProperty("waiting").GetString(), StringComparison.Ordinal);
        Assert.Contains("proco download cifar10", detail.GetProperty("waiting").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(await Api.EventsAsync(http, id), e => e.GetProperty("message").GetString()!.StartsWith("Started by", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync(new Uri($"/api/runs/{id}/cancel", UriKind.Relative), null)).StatusCode);

        // The page says the same as the API.
        var page = await http.GetStringAsync(new Uri("/workers", UriKind.Relative));
        Assert.Contains(worker.GetProperty("name").GetString()!, page, StringComparison.Ordinal);
        Assert.Contains("fashion-mnist", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueuedRun_CancelledBeforeItStarts_NeverTrains()
    {
        using var http = _factory.CreateClient();
        // One worker: while the first run trains, the second waits in the queue.
        var busy = await Api.CreateRunAsync(http, Api.TinyConfig(epochs: 30, maxPerClass: 300), "keeps the worker busy");
        await Api.WaitForAsync(http, busy, r => r.GetProperty("status").GetString() == "Running", TimeSpan.FromSeconds(60));
        var waiting = await Api.CreateRunAsync(http, Api.TinyConfig(epochs: 1), "waits");
        Assert.Equal("Queued", (await Api.RunAsync(http, waiting)).GetProperty("status").GetString());
        var response = await http.PostAsync(new Uri($"/api/runs/{waiting}/cancel", UriKind.Relative), null);
        Assert.Contains("Cancelled before it started", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("Cancelled", (await Api.RunAsync(http, waiting)).GetProperty("status").GetString());

        await http.PostAsync(new Uri($"/api/runs/{busy}/cancel", UriKind.Relative), null);
        await Api.WaitForAsync(http, busy, r => r.GetProperty("status").GetString() == "Cancelled", TimeSpan.FromSeconds(15));
        await Task.Delay(1500); // the worker is free: a cancelled run must still not start
        Assert.Equal("Cancelled", (await Api.RunAsync(http, waiting)).GetProperty("status").GetString());
        Assert.DoesNotContain(await Api.EventsAsync(http, waiting), e => e.GetProperty("message").GetString()!.StartsWith("Started by", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Download_IsServedWithLengthAndShaETag_AndAResumedRangeGivesTheSameBytes()
    {
        using var http = _factory.CreateClient();
        var id = await FinishedRunAsync(http);
        var checkpoint = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}/checkpoints", UriKind.Relative))).RootElement
            .EnumerateArray().First(c => c.GetProperty("kind").GetString() == "last");
        var url = new Uri(checkpoint.GetProperty("downloadUrl").GetString()!, UriKind.Relative);
        var sha = checkpoint.GetProperty("sha256").GetString()!;

        using var whole = await http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        var bytes = await whole.Content.ReadAsByteArrayAsync();
        Assert.Equal(checkpoint.GetProperty("sizeBytes").GetInt64(), whole.Content.Headers.ContentLength);
        Assert.Equal($"\"{sha}\"", whole.Headers.ETag!.Tag);
        Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(bytes)));

        // A download broken halfway resumes with a range request conditioned on the ETag.
        var half = bytes.Length / 2;
        using var firstHalf = new HttpRequestMessage(HttpMethod.Get, url);
        firstHalf.Headers.Range = new RangeHeaderValue(0, half - 1);
        var part1 = await (await http.SendAsync(firstHalf)).Content.ReadAsByteArrayAsync();
        using var rest = new HttpRequestMessage(HttpMethod.Get, url);
        rest.Headers.Range = new RangeHeaderValue(half, null);
        rest.Headers.IfRange = new RangeConditionHeaderValue(new EntityTagHeaderValue($"\"{sha}\""));
        using var restResponse = await http.SendAsync(rest);
        Assert.Equal(HttpStatusCode.PartialContent, restResponse.StatusCode);
        var part2 = await restResponse.Content.ReadAsByteArrayAsync();
        Assert.Equal(half, part1.Length);
        Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData([.. part1, .. part2])));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("%2e%2e%2f%2e%2e%2fetc%2fpasswd")]
    [InlineData("%252e%252e%252fetc%252fpasswd")]
    [InlineData("..%5c..%5cetc%5cpasswd")]
    [InlineData("..\\..\\etc\\passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("%2fetc%2fpasswd")]
    public async Task Download_WithAPathInsteadOfAnId_NeverServesAFile(string name)
    {
        using var http = _factory.CreateClient();
        var response = await http.GetAsync(new Uri($"/api/checkpoints/{name}/download", UriKind.Relative));
        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{name}: {response.StatusCode}");
        Assert.DoesNotContain("root:", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../../../../../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("runs/../../outside.ckpt")]
    [InlineData("runs/link-out/passwd")]
    [InlineData("runs/passwd-link")]
    public async Task Download_OfAStoredPathLeadingOutsideTheDataFolder_Is404(string storedPath)
    {
        using var http = _factory.CreateClient();
        var id = await FinishedRunAsync(http);
        var runs = Path.Combine(_factory.DataDir, "runs");
        File.WriteAllText(Path.Combine(_factory.DataDir, "..", "outside.ckpt"), "secret");
        if (!Directory.Exists(Path.Combine(runs, "link-out"))) Directory.CreateSymbolicLink(Path.Combine(runs, "link-out"), "/etc");
        if (!File.Exists(Path.Combine(runs, "passwd-link"))) File.CreateSymbolicLink(Path.Combine(runs, "passwd-link"), "/etc/passwd");

        var factory = _factory.Services.GetRequiredService<IDbContextFactory<ProCoDbContext>>();
        long checkpointId;
        await using (var db = await factory.CreateDbContextAsync())
        {
            var row = await db.Checkpoints.FirstAsync(c => c.RunId == id && c.Kind == "best");
            row.RelativePath = storedPath;
            await db.SaveChangesAsync();
            checkpointId = row.Id;
        }
        var response = await http.GetAsync(new Uri($"/api/checkpoints/{checkpointId}/download", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task ALongSeries_IsReadThroughItsSummaries_KeepingItsSpikes_AndItsDetailComesFromThem()
    {
        using var http = _factory.CreateClient();
        var factory = _factory.Services.GetRequiredService<IDbContextFactory<ProCoDbContext>>();
        long id;
        await using (var db = await factory.CreateDbContextAsync())
        {
            var run = new ProCo.Data.Entities.Run { Name = "long", Method = "proco", Dataset = "cifar10", Status = ProCo.Data.Entities.RunStatus.Succeeded, CreatedAt = DateTimeOffset.UtcNow, ConfigJson = "{}" };
            db.Runs.Add(run);
            await db.SaveChangesAsync();
            id = run.Id;
            // 60,000 steps in batches as a trainer writes them: a slow decay with one spike up and one dip.
            for (var start = 0; start < 60_000; start += 5_000)
            {
                await MetricStore.WriteAsync(db, Enumerable.Range(start, 5_000).Select(s => new ProCo.Data.Entities.MetricPoint
                {
                    RunId = id, Series = "CE_loss/train", Step = s, Value = s switch { 31_337 => 99.0, 47_001 => 0.001, _ => 3.0 - s / 30_000.0 + (s % 7) * 0.01 },
                }).ToList(), [], []);
            }
        }
        var thin = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}/metrics?series=CE_loss/train&maxPoints=500", UriKind.Relative))).RootElement[0];
        var steps = thin.GetProperty("steps").EnumerateArray().Select(s => s.GetInt64()).ToArray();
        var values = thin.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(60_000, thin.GetProperty("total").GetInt64());
        Assert.InRange(steps.Length, 250, 500);
        Assert.Equal((0L, 59_999L), (steps[0], steps[^1]));
        Assert.Equal(99.0, values[Array.IndexOf(steps, 31_337L)]);
        Assert.Equal(0.001, values[Array.IndexOf(steps, 47_001L)]);
        // A zoomed range that fits is every point of it.
        var zoom = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}/metrics?series=CE_loss/train&fromStep=31000&toStep=31999&maxPoints=2000", UriKind.Relative))).RootElement[0];
        Assert.Equal(Enumerable.Range(31_000, 1_000).Select(s => (long)s), zoom.GetProperty("steps").EnumerateArray().Select(s => s.GetInt64()));

        var detail = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}", UriKind.Relative))).RootElement;
        var loss = detail.GetProperty("series").EnumerateArray().Single(s => s.GetProperty("series").GetString() == "CE_loss/train");
        Assert.Equal(60_000, loss.GetProperty("points").GetInt64());
        Assert.Equal(59_999, loss.GetProperty("lastStep").GetInt64());
        Assert.Equal(0.001, loss.GetProperty("best").GetDouble());
        Assert.Equal(3.0 - 59_999 / 30_000.0 + (59_999 % 7) * 0.01, loss.GetProperty("last").GetDouble(), 12);
    }

    [Fact]
    public async Task ALongRunsPerClassVectors_AreReadAtMostMaxEpochs_EvenlySpread_KeepingTheFirstAndTheLast()
    {
        using var http = _factory.CreateClient();
        var factory = _factory.Services.GetRequiredService<IDbContextFactory<ProCoDbContext>>();
        long id;
        await using (var db = await factory.CreateDbContextAsync())
        {
            var run = new ProCo.Data.Entities.Run { Name = "many epochs", Method = "proco", Dataset = "cifar10", Status = ProCo.Data.Entities.RunStatus.Succeeded, CreatedAt = DateTimeOffset.UtcNow, ConfigJson = "{}" };
            db.Runs.Add(run);
            await db.SaveChangesAsync();
            id = run.Id;
            // 1,000 epochs of κ for ten classes: class c's κ at epoch e is e + c / 10.
            await MetricStore.WriteAsync(db, [], Enumerable.Range(1, 1_000)
                .Select(e => ProCo.Data.Entities.EpochVector.Of(id, e, "kappa", Enumerable.Range(0, 10).Select(c => e + c / 10.0).ToArray())).ToList(), []);
        }
        async Task<int[]> EpochsAsync(string query)
        {
            var rows = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}/vectors?kind=kappa{query}", UriKind.Relative))).RootElement;
            foreach (var row in rows.EnumerateArray())
                Assert.Equal(Enumerable.Range(0, 10).Select(c => row.GetProperty("epoch").GetInt32() + c / 10.0), row.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()));
            return [.. rows.EnumerateArray().Select(r => r.GetProperty("epoch").GetInt32())];
        }

        Assert.Equal(Enumerable.Range(1, 1_000), await EpochsAsync(""));
        var spread = await EpochsAsync("&maxEpochs=50");
        Assert.Equal(50, spread.Length);
        Assert.Equal((1, 1_000), (spread[0], spread[^1]));
        var gaps = spread.Zip(spread.Skip(1), (a, b) => b - a).ToArray();
        Assert.True(gaps.Min() >= 20 && gaps.Max() <= 21, string.Join(",", gaps)); // 999 epochs in 49 gaps
        Assert.Equal(new[] { 901, 950, 1_000 }, await EpochsAsync("&afterEpoch=900&maxEpochs=3"));
        Assert.Equal(Enumerable.Range(991, 10), await EpochsAsync("&afterEpoch=990&maxEpochs=600")); // fewer than asked: all of them
        var refused = await http.GetAsync(new Uri($"/api/runs/{id}/vectors?kind=kappa&maxEpochs=1", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("the first and the last epoch are always kept", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACheckpoint_DownloadsAsPyTorchWeights_WithThePublicNames_ThatLoadBack()
    {
        using var http = _factory.CreateClient();
        var id = await FinishedRunAsync(http);
        var checkpoints = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}/checkpoints", UriKind.Relative))).RootElement;
        var best = checkpoints.EnumerateArray().First(c => c.GetProperty("kind").GetString() == "best").GetProperty("id").GetInt64();
        var response = await http.GetAsync(new Uri($"/api/checkpoints/{best}/pytorch", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.EndsWith(".pt", response.Content.Headers.ContentDisposition!.FileName!.Trim('"'), StringComparison.Ordinal);
        var path = Path.Combine(_factory.DataDir, "exported.pt");
        await File.WriteAllBytesAsync(path, await response.Content.ReadAsByteArrayAsync());
        var weights = ProCo.Training.Models.PyTorchWeights.Read(path);
        var spec = ProCo.Training.Models.PyTorchWeights.InferSpec(weights);
        Assert.Equal(8, spec.Depth);
        Assert.Equal(10, spec.NumClasses);
        Assert.Contains("encoder.layer3.0.conv2.weight", weights.Keys);
        Assert.Contains("head.1.running_var", weights.Keys);
        using var model = new ProCo.Training.Models.ProCoModel(spec);
        ProCo.Training.Models.PyTorchWeights.LoadInto(model, weights);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("/api/checkpoints/987654/pytorch", UriKind.Relative))).StatusCode);

        // The same from the command line: proco export RUN --format pytorch.
        var folder = Path.Combine(_factory.DataDir, "exports");
        Assert.Equal(0, await ProCo.Web.Cli.CommandLine.RunAsync(["export", id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--format", "pytorch", "--out", folder, $"--ProCo:DataDir={_factory.DataDir}", .. _factory.StoreArgs]));
        var exported = Assert.Single(Directory.GetFiles(folder, "*.pt"));
        Assert.Matches(@"proco-run\d+-best-epoch\d+\.pt$", exported);
        Assert.Equal(weights.Keys.Order(), ProCo.Training.Models.PyTorchWeights.Read(exported).Keys.Order());
    }

    [Fact]
    public async Task ARunStartsFromUploadedPyTorchWeights_WhenTheyFitItsArchitecture()
    {
        using var http = _factory.CreateClient();
        // PyTorch weights of the tiny run's architecture (ResNet-8, one input channel, 10 classes, feature dim 16).
        var file = Path.Combine(_factory.DataDir, "warm start.pt");
        using (var model = new ProCo.Training.Models.ProCoModel(new ProCo.Training.Models.ModelSpec(8, 1, 1, 10, 16)))
            ProCo.Training.Models.PyTorchWeights.Save(model, file);
        async Task<(HttpStatusCode, string)> UploadAsync(string name, byte[] bytes)
        {
            using var form = new MultipartFormDataContent { { new ByteArrayContent(bytes), "file", name } };
            var response = await http.PostAsync(new Uri("/api/weights", UriKind.Relative), form);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        var (status, body) = await UploadAsync("warm start.pt", await File.ReadAllBytesAsync(file));
        Assert.True(status == HttpStatusCode.OK, body);
        var stored = JsonDocument.Parse(body).RootElement;
        Assert.Equal("warm_start.pt", stored.GetProperty("name").GetString());
        Assert.Equal(8, stored.GetProperty("depth").GetInt32());
        Assert.Contains(JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/weights", UriKind.Relative))).RootElement.EnumerateArray(),
            w => w.GetProperty("name").GetString() == "warm_start.pt");
        var (garbage, garbageBody) = await UploadAsync("notes.pt", "not weights"u8.ToArray());
        Assert.Equal(HttpStatusCode.BadRequest, garbage);
        Assert.Contains("notes.pt is not a PyTorch weights file", garbageBody, StringComparison.Ordinal);

        // Names outside the library, and weights of another architecture, are refused before queueing.
        foreach (var (initFrom, expected) in new[] { ("../proco.db", "not in the weights library"), ("missing.pt", "not in the weights library") })
        {
            var refused = await http.PostAsJsonAsync(new Uri("/api/runs", UriKind.Relative), new { config = new { dataset = "fashion-mnist", depth = 8, featDim = 16, initFrom } });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains(expected, await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        var wider = await http.PostAsJsonAsync(new Uri("/api/runs", UriKind.Relative),
            new { config = new { dataset = "fashion-mnist", depth = 8, featDim = 32, initFrom = "warm_start.pt" } });
        Assert.Equal(HttpStatusCode.BadRequest, wider.StatusCode);
        Assert.Contains("config.initFrom", await wider.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A run that fits starts from them and says so.
        var config = new
        {
            dataset = "fashion-mnist", imbalanceFactor = 0.1, maxPerClass = 40, maxTestPerClass = 10, epochs = 1, warmupEpochs = 1,
            batchSize = 32, learningRate = 0.05, depth = 8, featDim = 16, seed = 0, initFrom = "warm_start.pt",
        };
        var id = await Api.CreateRunAsync(http, config, "warm start");
        var run = await Api.WaitForAsync(http, id, r => r.GetProperty("status").GetString() is "Succeeded" or "Failed", TimeSpan.FromSeconds(90));
        Assert.Equal("Succeeded", run.GetProperty("status").GetString());
        var events = await http.GetStringAsync(new Uri($"/api/runs/{id}/events", UriKind.Relative));
        Assert.Contains("Initialised from the PyTorch weights warm_start.pt", events, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_FiltersSortsAndPages_AndDetailSummarisesEverySeries()
    {
        using var http = _factory.CreateClient();
        var id = await FinishedRunAsync(http);
        var page = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/runs?status=Succeeded&dataset=fashion-mnist&method=proco&sort=-created&page=1&pageSize=1", UriKind.Relative))).RootElement;
        Assert.True(page.GetProperty("total").GetInt32() >= 1);
        Assert.Equal(1, page.GetProperty("items").GetArrayLength());
        Assert.All(page.GetProperty("items").EnumerateArray(), r => Assert.Equal("Succeeded", r.GetProperty("status").GetString()));
        var none = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/runs?dataset=cifar100", UriKind.Relative))).RootElement;
        Assert.Equal(0, none.GetProperty("total").GetInt32());
        var bad = await http.GetAsync(new Uri("/api/runs?status=Sleeping&sort=fastest", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        var detail = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}", UriKind.Relative))).RootElement;
        var series = detail.GetProperty("series").EnumerateArray().ToDictionary(s => s.GetProperty("series").GetString()!);
        foreach (var name in new[] { "CE_loss/train", "SCL_loss/train", "lr", "acc/train_top1", "CE_loss/val", "acc/val_top1", "acc/val_medium", "acc/val_few", "sys/elapsed_s", "sys/memory_mib" })
            Assert.True(series.ContainsKey(name), name);
        // No GPU here: no GPU series.
        Assert.False(series.ContainsKey("sys/gpu_percent"));
        // 40 down to 4 images per class: no class has more than 100, so there is no many-shot accuracy at all.
        Assert.False(series.ContainsKey("acc/val_many"));
        Assert.Equal(JsonValueKind.Null, detail.GetProperty("run").GetProperty("lastMany").ValueKind);
        Assert.Equal(JsonValueKind.Number, detail.GetProperty("run").GetProperty("lastFew").ValueKind);
        Assert.Equal(1, series["acc/val_top1"].GetProperty("points").GetInt64());
        Assert.Equal(detail.GetProperty("run").GetProperty("bestTop1").GetDouble(), series["acc/val_top1"].GetProperty("best").GetDouble(), 9);
        var losses = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}/metrics?series=CE_loss/train", UriKind.Relative))).RootElement[0];
        Assert.Equal(series["CE_loss/train"].GetProperty("best").GetDouble(), losses.GetProperty("values").EnumerateArray().Min(v => v.GetDouble()), 9);
        // The raw points as CSV: every stored step, values round-tripping exactly.
        var rawCsv = await http.GetAsync(new Uri($"/api/runs/{id}/metrics.csv?series=CE_loss/train,lr", UriKind.Relative));
        Assert.Equal("text/csv", rawCsv.Content.Headers.ContentType!.MediaType);
        var rows = (await rawCsv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("run_id,run,series,step,value", rows[0]);
        var ceRows = rows.Skip(1).Select(r => r.Split(',')).Where(c => c[2] == "CE_loss/train").ToArray();
        var stored = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}/metrics?series=CE_loss/train&maxPoints=1000000", UriKind.Relative))).RootElement[0];
        Assert.Equal(stored.GetProperty("steps").EnumerateArray().Select(s => s.GetInt64()), ceRows.Select(c => long.Parse(c[3], CultureInfo.InvariantCulture)));
        Assert.Equal(stored.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()), ceRows.Select(c => double.Parse(c[4], CultureInfo.InvariantCulture)));
        Assert.All(ceRows, c => Assert.Equal(id.ToString(CultureInfo.InvariantCulture), c[0]));
        Assert.Equal(rows.Length - 1 - ceRows.Length, series["lr"].GetProperty("points").GetInt64());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("/api/runs/99999/metrics.csv", UriKind.Relative))).StatusCode);

        var kappa = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}/vectors?kind=kappa", UriKind.Relative))).RootElement;
        Assert.Equal(10, kappa[0].GetProperty("values").GetArrayLength());
        var testKappa = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}/vectors?kind=kappa_test", UriKind.Relative))).RootElement;
        Assert.All(testKappa[0].GetProperty("values").EnumerateArray(), k => Assert.True(k.GetDouble() > 0));
        var unknownKind = await http.GetAsync(new Uri($"/api/runs/{id}/vectors?kind=kapa", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, unknownKind.StatusCode);
        Assert.Contains("'kapa' is not a vector kind", await unknownKind.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var csv = await http.GetStringAsync(new Uri("/api/runs/export.csv", UriKind.Relative));
        Assert.StartsWith("id,name,status,method,dataset", csv, StringComparison.Ordinal);
        Assert.Contains($"\n{id},finished,Succeeded,proco,fashion-mnist,0.1,1,1,", csv, StringComparison.Ordinal);
        var openapi = await http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        Assert.Contains("/api/runs/{id}/metrics", openapi, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_RemovesTheRunItsRowsAndItsFiles_AndQueuedRunsCancelBeforeStarting()
    {
        using var http = _factory.CreateClient();
        var id = await FinishedRunAsync(http);
        var folder = Path.Combine(_factory.DataDir, "runs", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(File.Exists(Path.Combine(folder, "last.ckpt")));
        var response = await http.DeleteAsync(new Uri($"/api/runs/{id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(Directory.Exists(folder));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri($"/api/runs/{id}", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync(new Uri($"/api/runs/{id}", UriKind.Relative))).StatusCode);

        var resumeDone = await http.PostAsync(new Uri($"/api/runs/{await FinishedRunAsync(http)}/resume", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Conflict, resumeDone.StatusCode);
        Assert.Contains("clone it", await resumeDone.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
