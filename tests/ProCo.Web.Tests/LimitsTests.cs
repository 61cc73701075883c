using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;

namespace ProCo.Web.Tests;

/// <summary>A web-only app (no worker) with a 1 GiB step budget for CPU runs.</summary>
public sealed class LimitsFactory : StudioFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("ProCo:Workers", "0");
        builder.UseSetting("ProCo:Limits:MaxCpuStepBytes", (1L << 30).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

/// <summary>Runs this server could not train are refused before they are queued; runs no worker can take say why they wait.</summary>
[Collection(AppHost.Name)]
public sealed class LimitsTests(LimitsFactory factory) : IClassFixture<LimitsFactory>
{
    private static Uri U(string path) => new(path, UriKind.Relative);

    private static object Config(string dataset = "cifar100", int depth = 32, int width = 1, int batchSize = 256, int featDim = 128, int epochs = 200,
        string device = "cpu") => new { dataset, depth, width, batchSize, featDim, epochs, device };

    private static async Task<(HttpStatusCode Status, string Body)> PostAsync(HttpClient http, object config)
    {
        var response = await http.PostAsJsonAsync(U("/api/runs"), new { config });
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TooLargeRuns_AreRefusedWithTheReason_AndNothingIsQueued()
    {
        using var http = factory.CreateClient();
        var before = (await http.GetFromJsonAsync<JsonElement>(U("/api/runs"))).GetProperty("total").GetInt32();

        // The probe's run: depth 200, width 16, batch 65,536, feature dim 4,096, 10,000 epochs.
        var (status, body) = await PostAsync(http, Config(depth: 200, width: 16, batchSize: 65_536, featDim: 4096, epochs: 10_000));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("ProCo:Limits:MaxEpochs", body, StringComparison.Ordinal);
        Assert.Contains("ProCo:Limits:MaxParameters", body, StringComparison.Ordinal);

        // The paper's recipe fits; a batch of 4,096 with three views does not fit a 1 GiB step budget.
        (status, body) = await PostAsync(http, Config(batchSize: 4096));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("config.batchSize", body, StringComparison.Ordinal);
        Assert.Contains("GiB", body, StringComparison.Ordinal);
        Assert.Contains("ProCo:Limits:MaxCpuStepBytes", body, StringComparison.Ordinal);
        Assert.Equal(before, (await http.GetFromJsonAsync<JsonElement>(U("/api/runs"))).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Fp16OnACpuWithoutIt_IsRefusedOnThePrecisionField_AndNothingIsQueued()
    {
        using var http = factory.CreateClient();
        var before = (await http.GetFromJsonAsync<JsonElement>(U("/api/runs"))).GetProperty("total").GetInt32();
        var response = await http.PostAsJsonAsync(U("/api/runs"),
            new { config = new { dataset = "fashion-mnist", depth = 8, batchSize = 32, epochs = 1, precision = "fp16" } });
        var body = await response.Content.ReadAsStringAsync();
        if (ProCo.Training.Engine.HardwareSupport.FastFp16(TorchSharp.torch.CPU))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return;
        }
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("config.precision", body, StringComparison.Ordinal);
        Assert.Contains("fp16 needs a CUDA GPU or a CPU with avx512_fp16 or AMX-FP16", body, StringComparison.Ordinal);
        Assert.Equal(before, (await http.GetFromJsonAsync<JsonElement>(U("/api/runs"))).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task RunsNoWorkerServes_AreQueued_AndSayWhyTheyWait()
    {
        using var http = factory.CreateClient();
        var gpu = await Api.CreateRunAsync(http, Config(depth: 8, batchSize: 32, epochs: 1, device: "cuda:99"), "wants a GPU");
        var detail = await http.GetFromJsonAsync<JsonElement>(U($"/api/runs/{gpu}"));
        Assert.Equal("Queued", detail.GetProperty("run").GetProperty("status").GetString());
        Assert.Contains("No live worker serves CUDA runs", detail.GetProperty("waiting").GetString(), StringComparison.Ordinal);

        var cpu = await Api.CreateRunAsync(http, Config(depth: 8, batchSize: 32, epochs: 1), "web-only server");
        detail = await http.GetFromJsonAsync<JsonElement>(U($"/api/runs/{cpu}"));
        Assert.Contains("No live worker serves CPU runs", detail.GetProperty("waiting").GetString(), StringComparison.Ordinal);
        Assert.Contains("proco worker", detail.GetProperty("waiting").GetString(), StringComparison.Ordinal);

        // Not queued any more: no reason.
        await http.PostAsync(U($"/api/runs/{cpu}/cancel"), null);
        detail = await http.GetFromJsonAsync<JsonElement>(U($"/api/runs/{cpu}"));
        Assert.Equal(JsonValueKind.Null, detail.GetProperty("waiting").ValueKind);
    }
}

/// <summary>An app allowing three actions and one import a minute.</summary>
public sealed class RateLimitFactory : StudioFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("ProCo:Workers", "0");
        builder.UseSetting("ProCo:RateLimits:ActionsPerMinute", "3");
        builder.UseSetting("ProCo:RateLimits:ImportsPerMinute", "1");
    }
}

[Collection(AppHost.Name)]
public sealed class RateLimitTests(RateLimitFactory factory) : IClassFixture<RateLimitFactory>
{
    [Fact]
    public async Task CreationAndUploads_AreRateLimited_ReadsAreNot()
    {
        using var http = factory.CreateClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
            statuses.Add((await http.PostAsJsonAsync(new Uri("/api/runs", UriKind.Relative), new { config = Api.TinyConfig() })).StatusCode);
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests], statuses);
        var limited = await http.PostAsJsonAsync(new Uri("/api/runs", UriKind.Relative), new { config = Api.TinyConfig() });
        Assert.True(limited.Headers.RetryAfter is not null, "Retry-After is sent");
        Assert.Contains("ProCo:RateLimits", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A sweep counts one action per run: refused whole, nothing queued. The pages' buttons and forms draw on the
        // same budget (ActionBudget, the key of an unsigned client being its address).
        var runs = factory.Store.Scalar("SELECT COUNT(*) FROM \"Runs\"");
        var sweep = await http.PostAsJsonAsync(new Uri("/api/sweeps", UriKind.Relative), new
        {
            config = Api.TinyConfig(), sweep = new { kind = "grid", lists = new Dictionary<string, string> { ["seed"] = "0, 1" } },
        });
        Assert.Equal(HttpStatusCode.TooManyRequests, sweep.StatusCode);
        Assert.NotNull(sweep.Headers.RetryAfter);
        Assert.Equal(runs, factory.Store.Scalar("SELECT COUNT(*) FROM \"Runs\""));
        var budget = factory.Services.GetRequiredService<ProCo.Web.Hosting.ActionBudget>();
        Assert.Contains("at most 3 a minute", budget.Take(new System.Security.Claims.ClaimsPrincipal(), null, 1)?.Message, StringComparison.Ordinal);
        Assert.Contains("4 actions at once are more than the 3", budget.Take(new System.Security.Claims.ClaimsPrincipal(), null, 4)?.Message, StringComparison.Ordinal);

        Assert.NotEqual(HttpStatusCode.TooManyRequests, (await Api.UploadAsync(http, "run/events.out.tfevents.1", [1, 2, 3])).Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await Api.UploadAsync(http, "run/events.out.tfevents.1", [1, 2, 3])).Status);
        for (var i = 0; i < 10; i++) Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/api/runs", UriKind.Relative))).StatusCode);
    }
}
