using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ProCo.Browser.Tests;

/// <summary>The paper's runs added in one click, then edited, in Chromium.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed class PaperRunsTests(StudioServer server, ITestOutputHelper output) : BrowserTest(server, output)
{
    [Fact]
    public async Task AddThePapersRuns_InOneClick_ListsSevenImportedRuns_WhichCanBeEdited()
    {
        var page = await NewPageAsync();
        await page.GotoAsync("/runs");
        await StudioServer.WaitForInteractiveAsync(page);
        await page.Locator("[data-test=add-paper-runs]").First.ClickAsync();
        await page.Locator("tr.run-row", new() { HasText = "ProCo_cifar100_imb0.01_epochs400" }).WaitForAsync(new() { Timeout = 20_000 });
        foreach (var best in new[] { "52.84", "54.15", "57.13", "65.49", "85.93", "88.17", "91.85" })
            Assert.Equal(1, await page.Locator("tr.run-row", new() { HasText = best }).CountAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(StudioServer.ScreenshotDir, "runs-with-paper.png"), FullPage = true });

        await page.Locator("tr.run-row a", new() { HasText = "ProCo_cifar10_imb0.1_epochs200" }).ClickAsync();
        await page.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 20_000 });
        // The authors' per-epoch series start at epoch 0: the chart shows them from epoch 1 to 200.
        var accPoints = await page.EvaluateAsync<int>("() => studioTest.steps('acc/val_top1').length");
        Assert.Equal(200, accPoints);
        var firstAndLast = await page.EvaluateAsync<double[]>("() => { const l = studioTest.chartState('acc').lines[0]; return [l.firstX, l.x]; }");
        Assert.Equal([1.0, 200.0], firstAndLast);
        // Their training losses are per epoch: drawn on the epoch axis, titled so.
        Assert.Equal("Training loss (per epoch)", await page.EvaluateAsync<string>("() => studioTest.chartState('loss').title"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(StudioServer.ScreenshotDir, "paper-run.png"), FullPage = true });

        await page.Locator("[data-test=edit-run]").ClickAsync();
        var name = page.Locator("input[data-test=edit-name]");
        await name.FillAsync("Authors: CIFAR-10-LT, imbalance 10");
        await name.PressAsync("Tab");
        await page.Locator("[data-test=edit-save]").ClickAsync();
        await page.Locator("[data-test=run-name]", new() { HasText = "Authors: CIFAR-10-LT, imbalance 10" }).WaitForAsync();
        using var http = Server.Http();
        var page2 = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/runs?tag=paper&pageSize=50", UriKind.Relative))).RootElement;
        Assert.Contains(page2.GetProperty("items").EnumerateArray(), r => r.GetProperty("name").GetString() == "Authors: CIFAR-10-LT, imbalance 10");
    }
}
