using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ProCo.Browser.Tests;

/// <summary>The researcher's cockpit in Debian's Chromium against the real app on Kestrel. Screenshots are kept.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed partial class CockpitTests(StudioServer server, ITestOutputHelper output) : BrowserTest(server, output)
{
    private static Task<int> PointsAsync(IPage page, string chart) =>
        page.EvaluateAsync<int>($"() => studioTest.chartPoints('{chart}')");

    private static async Task SetNumberAsync(IPage page, string test, string value)
    {
        var input = page.Locator($"input[data-test={test}]");
        await input.FillAsync(value);
        await input.PressAsync("Tab");
    }

    [GeneratedRegex(@"/runs/(\d+)$")]
    private static partial Regex RunUrl();

    [Fact]
    public async Task QueueFromTheForm_ChartGainsPointsLive_RunSucceeds_AndTheCheckpointDownloadsWithTheShownSha()
    {
        var page = await NewPageAsync();
        await page.GotoAsync("/runs/new");
        await page.GetByText("Queue a grid").WaitForAsync();
        await StudioServer.WaitForInteractiveAsync(page);
        await SetNumberAsync(page, "epochs", "4");
        await SetNumberAsync(page, "batch-size", "32");
        await page.Locator("input[data-test=name]").FillAsync("browser tiny");
        await page.Locator("input[data-test=name]").PressAsync("Tab");
        // Images per class cap: 150 (the CPU demo's 1000 would take a minute).
        var cap = page.GetByLabel("Images per class (cap)", new() { Exact = true });
        await cap.FillAsync("150");
        await cap.PressAsync("Tab");
        await page.ScreenshotAsync(new() { Path = Shot("new-run-form.png"), FullPage = true });
        await page.Locator("[data-test=queue]").ClickAsync();

        await WaitForLocationAsync(page, @"^/runs/\d+$");
        var id = long.Parse(RunUrl().Match(await page.EvaluateAsync<string>("() => location.pathname")).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        await page.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 30_000 });

        // While it trains, the loss chart gains points without a reload.
        await page.GetByText("Running").First.WaitForAsync(new() { Timeout = 120_000 });
        var first = await PointsAsync(page, "loss");
        await page.WaitForFunctionAsync($"() => studioTest.chartPoints('loss') > {first + 4}", null, new() { Timeout = 60_000 });
        var second = await PointsAsync(page, "loss");
        Assert.True(second > first, $"{first} -> {second}");
        await page.ScreenshotAsync(new() { Path = Shot("run-live.png"), FullPage = true });

        await page.Locator("[data-test=run-status] [data-status=Succeeded]").WaitForAsync(new() { Timeout = 300_000 });
        using var http = Server.Http();
        Assert.Equal("Succeeded", await Runs.StatusAsync(http, id));
        // The page says the precision the run trained in: the form's default, auto, as this machine resolves it.
        var precision = (await page.Locator("[data-test=precision]").InnerTextAsync()).Trim(' ', '·');
        Assert.Equal(ProCo.Training.Engine.PrecisionPlan.Resolve(ProCo.Training.Engine.PrecisionPlan.Auto, TorchSharp.torch.CPU).Name, precision);
        var lossSteps = await Runs.StepsAsync(http, id, "CE_loss/train");
        await page.WaitForFunctionAsync($"() => studioTest.steps('CE_loss/train').length === {lossSteps.Length}", null, new() { Timeout = 10_000 });

        var row = page.Locator("[data-test=checkpoint][data-kind=last]");
        await row.WaitForAsync(new() { Timeout = 10_000 });
        var shownSha = (await row.Locator("[data-test=sha]").InnerTextAsync()).Trim();
        var download = await page.RunAndWaitForDownloadAsync(() => row.Locator("[data-test=download]").ClickAsync());
        var path = Path.Combine(StudioServer.ScreenshotDir, "downloaded.ckpt");
        await download.SaveAsAsync(path);
        Assert.Equal(shownSha, Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path))));
        await page.ScreenshotAsync(new() { Path = Shot("run-finished.png"), FullPage = true });

        // The per-class chart ranks accuracy and kappa against class size, from the same vectors the API serves.
        var counts = await Runs.LastVectorAsync(http, id, "counts");
        var ranks = page.Locator("[data-test=class-ranks]");
        // Each kind of vector reaches the page in its own live message: wait until all four epochs of each are there.
        await page.WaitForFunctionAsync(
            "() => Object.values(studioTest.vectorEpochs()).every(n => n === 4)",
            null, new() { Timeout = 15_000 });
        await page.WaitForFunctionAsync(
            "() => { const r = document.querySelector('[data-test=class-ranks]'); return document.querySelector('[data-chart=class-accuracy] .studio-epoch-pick span').textContent.trim() === 'epoch 4' && r.dataset.rhoKappa !== '' && r.dataset.rhoKappaTest !== ''; }",
            null, new() { Timeout = 10_000 });
        Assert.StartsWith("Rank correlation with training images", await ranks.InnerTextAsync(), StringComparison.Ordinal);
        foreach (var (kind, attribute) in new[] { ("accuracy", "data-rho-accuracy"), ("kappa", "data-rho-kappa"), ("kappa_test", "data-rho-kappa-test") })
        {
            var expected = Runs.Spearman(counts, await Runs.LastVectorAsync(http, id, kind));
            var shown = double.Parse(await ranks.GetAttributeAsync(attribute) ?? "", System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(expected - shown) < 1e-9, $"{kind}: shown {shown}, expected {expected}");
        }

        // The heatmap shows the estimator's kappa, and the test features' kappa at a click; its colour scale spans the shown kind.
        const string heatmapScale = "() => studioTest.heatmapScale()";
        foreach (var kind in new[] { "kappa", "kappa_test" })
        {
            if (kind == "kappa_test") await page.Locator("[data-chart=kappa] button[data-kind=kappa_test]").ClickAsync();
            var scale = await page.EvaluateAsync<string[]>(heatmapScale);
            var all = (await Runs.VectorsAsync(http, id, kind)).SelectMany(v => v).ToArray();
            Assert.Equal(kind, scale[0]);
            Assert.Equal(Math.Log10(all.Min()), double.Parse(scale[1], System.Globalization.CultureInfo.InvariantCulture), 9);
            Assert.Equal(Math.Log10(all.Max()), double.Parse(scale[2], System.Globalization.CultureInfo.InvariantCulture), 9);
            Assert.Equal("true", await page.Locator($"[data-chart=kappa] button[data-kind={kind}]").GetAttributeAsync("aria-checked"));
        }
        await page.ScreenshotAsync(new() { Path = Shot("run-test-kappa.png"), FullPage = true });
    }

    [Fact]
    public async Task CancelFromTheTable_ReachesCancelled_AndCloneOpensTheFormFilledIn()
    {
        using var http = Server.Http();
        var id = await Runs.CreateAsync(http, Runs.Tiny(epochs: 40, maxPerClass: 200), "to cancel from the table");
        await Runs.WaitForStatusAsync(http, id, "Running", TimeSpan.FromSeconds(180));

        var page = await NewPageAsync();
        await page.GotoAsync("/runs");
        var row = page.Locator($"tr.run-{id}");
        await row.Locator("[data-status=Running]").WaitForAsync(new() { Timeout = 20_000 });
        // At laptop size the table fits beside the menu, without scrolling sideways.
        var overflow = await page.Locator(".mud-table-container").EvaluateAsync<int>("e => e.scrollWidth - e.clientWidth");
        var widths = await page.Locator(".mud-table-container th").EvaluateAllAsync<string[]>("ths => ths.map(t => t.innerText.trim() + ':' + t.offsetWidth)");
        Assert.True(overflow <= 0, $"the runs table is {overflow} px wider than its container: {string.Join(", ", widths)}");
        await StudioServer.WaitForInteractiveAsync(page);
        // The click reached the server: it answers in a snackbar; the run stops at its next step. Once in CI a click
        // landed while the live row re-rendered and never reached the server (the tooltip showed, no snackbar came):
        // clicked again then, as a person would; a cancel is idempotent.
        for (var attempt = 1; ; attempt++)
        {
            await row.Locator("[data-test=cancel]").ClickAsync();
            var confirm = page.GetByRole(AriaRole.Button, new() { Name = ProCo.Web.Components.Shared.CancelConfirmation.Yes });
            try
            {
                await confirm.ClickAsync(new() { Timeout = 5_000 });
            }
            catch (TimeoutException) when (attempt < 3)
            {
                continue;
            }
            var answered = page.GetByText("Stopping at the next step").First;
            try
            {
                await answered.WaitForAsync(new() { Timeout = 5_000 });
                break;
            }
            catch (TimeoutException) when (attempt < 3)
            {
                if (await Runs.StatusAsync(http, id) != "Running") break;
            }
        }
        await row.Locator("[data-status=Cancelled]").WaitForAsync(new() { Timeout = 60_000 });
        Assert.Equal("Cancelled", await Runs.StatusAsync(http, id));
        await page.ScreenshotAsync(new() { Path = Shot("runs-after-cancel.png"), FullPage = true });

        await row.Locator("[data-test=clone]").ClickAsync();
        await WaitForLocationAsync(page, $@"^/runs/new\?clone={id}$");
        await page.GetByText("Clone of to cancel from the table").WaitForAsync();
        Assert.Equal("40", await page.Locator("input[data-test=epochs]").InputValueAsync());
        Assert.Equal("32", await page.Locator("input[data-test=batch-size]").InputValueAsync());
        Assert.Equal("to cancel from the table (copy)", await page.Locator("input[data-test=name]").InputValueAsync());
        await page.ScreenshotAsync(new() { Path = Shot("clone-form.png"), FullPage = true });
    }

    [Fact]
    public async Task CompareTwoFinishedRuns_BothCurvesShow_AndTheDiffListsOnlyWhatDiffers()
    {
        using var http = Server.Http();
        var a = await Runs.CreateAsync(http, Runs.Tiny(epochs: 2, seed: 1, lr: 0.05), "compare A");
        var b = await Runs.CreateAsync(http, Runs.Tiny(epochs: 2, seed: 2, lr: 0.1), "compare B");
        await Runs.WaitForStatusAsync(http, a, "Succeeded", TimeSpan.FromSeconds(300));
        await Runs.WaitForStatusAsync(http, b, "Succeeded", TimeSpan.FromSeconds(300));

        var page = await NewPageAsync();
        await page.GotoAsync("/runs");
        await StudioServer.WaitForInteractiveAsync(page);
        await page.Locator($"tr.run-{a}").WaitForAsync();
        await page.Locator($"tr.run-{a} input[type=checkbox]").CheckAsync();
        await page.Locator($"tr.run-{b} input[type=checkbox]").CheckAsync();
        await page.Locator("[data-test=compare]").ClickAsync();
        await WaitForLocationAsync(page, @"^/compare\?ids=\d+,\d+$");
        await page.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 20_000 });

        var fields = await page.Locator("[data-test=diff] tr[data-field]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.field)");
        Assert.Equal(["learningRate", "seed"], fields.Order());
        // Both runs' accuracy curves hold drawn points.
        var perRun = await page.EvaluateAsync<int[]>(
            "() => studioTest.comparePoints('acc')");
        Assert.Equal(2, perRun.Length);
        Assert.All(perRun, n => Assert.Equal(4, n)); // train and test top-1 at 2 epochs
        var legend = await page.Locator("[data-chart=acc] .u-legend").InnerTextAsync();
        Assert.Contains($"#{a} compare A · test top-1", legend, StringComparison.Ordinal);
        Assert.Contains($"#{b} compare B · test top-1", legend, StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = Shot("compare.png"), FullPage = true });
    }

    [Fact]
    public async Task DroppingTheLiveConnectionMidRun_LeavesNoGapAndNoDoubleInTheChart()
    {
        using var http = Server.Http();
        var id = await Runs.CreateAsync(http, Runs.Tiny(epochs: 6, maxPerClass: 200), "reconnect");
        await Runs.WaitForStatusAsync(http, id, "Running", TimeSpan.FromSeconds(180));

        var page = await NewPageAsync();
        await page.GotoAsync($"/runs/{id}");
        await page.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 30_000 });
        await page.WaitForFunctionAsync("() => studioTest.chartPoints('loss') > 10", null, new() { Timeout = 60_000 });
        await page.EvaluateAsync("() => studioTest.dropConnection()");
        var before = await page.EvaluateAsync<int>("() => studioTest.steps('CE_loss/train').length");
        // Training goes on while the page is disconnected.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await Runs.StepsAsync(http, id, "CE_loss/train")).Length < before + 15 && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.Equal("Disconnected", await page.EvaluateAsync<string>("() => studioTest.connectionState()"));
        // The moment the reconnect has resubscribed, the page holds every step stored before it, in
        // order, once: the catch-up waits for no timer.
        var storedBefore = await Runs.StepsAsync(http, id, "CE_loss/train");
        var atReconnect = await page.EvaluateAsync<long[]>("async () => { await studioTest.restoreConnection(); return studioTest.steps('CE_loss/train'); }");
        Assert.Equal(Enumerable.Range(1, atReconnect.Length).Select(s => (long)s), atReconnect);
        Assert.True(atReconnect.Length >= storedBefore.Length, $"{atReconnect.Length} steps shown, {storedBefore.Length} stored before the reconnect");

        await Runs.WaitForStatusAsync(http, id, "Succeeded", TimeSpan.FromSeconds(300));
        var expected = await Runs.StepsAsync(http, id, "CE_loss/train");
        try
        {
            await page.WaitForFunctionAsync($"() => studioTest.steps('CE_loss/train').length >= {expected.Length}", null, new() { Timeout = 15_000 });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the chart holds fewer than {expected.Length} steps (the page's console is in the test output)");
        }
        var shown = await page.EvaluateAsync<long[]>("() => studioTest.steps('CE_loss/train')");
        Assert.Equal(expected, shown);
        await page.ScreenshotAsync(new() { Path = Shot("run-after-reconnect.png"), FullPage = true });
    }
}
