using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ProCo.Tests;
using Microsoft.Extensions.DependencyInjection;
using ProCo.Web.Runs;

namespace ProCo.Web.Tests;

/// <summary>
/// Image datasets through the real host: registered from a server folder, verified, and trained on
/// with a width-reduced ResNet-50 through the REST API — the epoch chosen on validation, the test
/// split evaluated once, and a cancelled run resumed to exactly the numbers of an uninterrupted one.
/// </summary>
[Collection(AppHost.Name)]
public sealed class DatasetsApiTests : IClassFixture<StudioFactory>, IDisposable
{
    private readonly StudioFactory _factory;
    private readonly string _images = Path.Combine(Path.GetTempPath(), "proco-web-images-" + Guid.NewGuid().ToString("N"));

    public DatasetsApiTests(StudioFactory factory) => _factory = factory;

    public void Dispose()
    {
        if (Directory.Exists(_images)) Directory.Delete(_images, recursive: true);
    }

    private static object Config(string dataset) => new
    {
        dataset, imbalanceFactor = 1, arch = "resnet50", widthDivisor = 16, cropSize = 32, batchSize = 6, microBatch = 3, epochs = 2,
        schedule = "cosine", warmupEpochs = 0, learningRate = 0.05, featDim = 16, useNorm = true, temperature = 0.07, precision = "fp32",
        evalBatchSize = 4, loaderThreads = 2,
    };

    private static async Task<(HttpStatusCode Status, JsonElement Body)> RegisterAsync(HttpClient http, object request)
    {
        var response = await http.PostAsJsonAsync(new Uri("/api/datasets", UriKind.Relative), request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static async Task<double[]> ValuesAsync(HttpClient http, long id, string series)
    {
        var json = await http.GetStringAsync(new Uri($"/api/runs/{id}/metrics?series={Uri.EscapeDataString(series)}&maxPoints=1000000", UriKind.Relative));
        return JsonDocument.Parse(json).RootElement[0].GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
    }

    [Fact]
    public async Task AFolderRegisteredThroughTheApi_IsVerified_TrainedOnWithValAndTest_AndACancelledRunResumesExactly()
    {
        using var http = _factory.CreateClient();
        var tree = ImageTrees.SplitFolders(Path.Combine(_images, "flowers"), [10, 6, 3], 2);

        // Bad registrations say what is wrong, field by field, and register nothing.
        var (status, body) = await RegisterAsync(http, new { name = "flowers", root = "flowers" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("absolute folder path", body.GetProperty("errors").GetProperty("root")[0].GetString(), StringComparison.Ordinal);
        (status, body) = await RegisterAsync(http, new { name = "CIFAR10", root = tree });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("built-in dataset cifar10", body.GetProperty("errors").GetProperty("name")[0].GetString(), StringComparison.Ordinal);
        (status, _) = await RegisterAsync(http, new { name = "flowers", root = Path.Combine(_images, "nowhere") });
        Assert.Equal(HttpStatusCode.BadRequest, status);

        (status, body) = await RegisterAsync(http, new { name = "flowers", root = tree });
        Assert.Equal(HttpStatusCode.Created, status);
        var scan = body.GetProperty("registered").GetProperty("scan");
        Assert.Equal([11L, 7, 3], scan.GetProperty("splits").GetProperty("train").EnumerateArray().Select(c => c.GetInt64()));
        Assert.Equal(["apple", "birch", "cedar"], scan.GetProperty("classNames").EnumerateArray().Select(c => c.GetString()));
        var listed = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/datasets", UriKind.Relative))).RootElement;
        Assert.Contains(listed.EnumerateArray(), d => d.GetProperty("name").GetString() == "fashion-mnist" && d.GetProperty("builtIn").GetBoolean());
        Assert.Contains(listed.EnumerateArray(), d => d.GetProperty("name").GetString() == "flowers" && !d.GetProperty("builtIn").GetBoolean());

        // Decoding every image finds the corrupt and the truncated file, by path.
        Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsync(new Uri("/api/datasets/flowers/verify", UriKind.Relative), null)).StatusCode);
        await _factory.Services.GetRequiredService<DatasetService>().WhenVerified("flowers");
        var verified = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/datasets/flowers", UriKind.Relative))).RootElement;
        Assert.Equal([Path.Combine(tree, "train", "apple", "zz_corrupt.jpg"), Path.Combine(tree, "train", "birch", "zz_truncated.jpg")],
            verified.GetProperty("registered").GetProperty("scan").GetProperty("unreadable").EnumerateArray().Select(u => u.GetProperty("path").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync(new Uri("/api/datasets/roses/verify", UriKind.Relative), null)).StatusCode);

        // An unknown dataset is refused before it is queued.
        var refused = await http.PostAsJsonAsync(new Uri("/api/runs", UriKind.Relative), new { config = Config("roses") });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("registered are flowers", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var straight = await Api.CreateRunAsync(http, Config("flowers"), "resnet50 straight");
        var done = await Api.WaitForAsync(http, straight, r => r.GetProperty("status").GetString() is "Succeeded" or "Failed", TimeSpan.FromSeconds(180));
        Assert.Equal("Succeeded", done.GetProperty("status").GetString());
        var events = (await Api.EventsAsync(http, straight)).Select(e => e.GetProperty("message").GetString()!).ToArray();
        Assert.Contains(events, m => m.Contains(Path.Combine(tree, "train", "apple", "zz_corrupt.jpg"), StringComparison.Ordinal));
        Assert.Contains(events, m => m.Contains("validation images (the epoch is chosen on them)", StringComparison.Ordinal));
        var val = await ValuesAsync(http, straight, "acc/val_top1");
        Assert.Equal(2, val.Length);
        var chosen = Array.IndexOf(val, val.Max()) + 1;
        Assert.Contains(events, m => m.Contains($"model of epoch {chosen} (best on validation", StringComparison.Ordinal));
        var testSteps = await Api.StepsAsync(http, straight, "acc/test_top1");
        Assert.Equal([2L], testSteps);
        var testTop1 = Assert.Single(await ValuesAsync(http, straight, "acc/test_top1"));
        Assert.Equal(testTop1, done.GetProperty("testTop1").GetDouble(), 6);

        // The same run cancelled after its second step and resumed ends with the same numbers.
        var interrupted = await Api.CreateRunAsync(http, Config("flowers"), "resnet50 interrupted");
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline && (await Api.StepsAsync(http, interrupted, "CE_loss/train")).Length < 2) await Task.Delay(50);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync(new Uri($"/api/runs/{interrupted}/cancel", UriKind.Relative), null)).StatusCode);
        var stopped = await Api.WaitForAsync(http, interrupted, r => r.GetProperty("status").GetString() is "Cancelled" or "Succeeded", TimeSpan.FromSeconds(60));
        Assert.Equal("Cancelled", stopped.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync(new Uri($"/api/runs/{interrupted}/resume", UriKind.Relative), null)).StatusCode);
        var resumed = await Api.WaitForAsync(http, interrupted, r => r.GetProperty("status").GetString() is "Succeeded" or "Failed", TimeSpan.FromSeconds(180));
        Assert.Equal("Succeeded", resumed.GetProperty("status").GetString());
        foreach (var series in new[] { "CE_loss/train", "SCL_loss/train", "acc/val_top1", "CE_loss/val", "acc/test_top1" })
        {
            var expected = await ValuesAsync(http, straight, series);
            var actual = await ValuesAsync(http, interrupted, series);
            Assert.Equal(expected.Length, actual.Length);
            for (var i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4, $"{series}[{i}]: {expected[i]} vs {actual[i]}");
        }

        // Forgetting the dataset leaves its files.
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync(new Uri("/api/datasets/flowers", UriKind.Relative))).StatusCode);
        Assert.True(File.Exists(Path.Combine(tree, "train", "apple", "train_000.jpg")));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("/api/datasets/flowers", UriKind.Relative))).StatusCode);
    }
}
