using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ProCo.Browser.Tests;

/// <summary>The Workers page and the waiting reason in Chromium: who trains what, and why a run does not start.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed class WorkersBrowserTests(StudioServer server, ITestOutputHelper output) : BrowserTest(server, output)
{
    [Fact]
    public async Task TheWorkersPageShowsTheRunItTrains_AndARunWithoutItsDatasetSaysWhyItWaits()
    {
        using var http = Server.Http();
        var training = await Runs.CreateAsync(http, Runs.Tiny(epochs: 30, maxPerClass: 200), "on the worker");
        await Runs.WaitForStatusAsync(http, training, "Running", TimeSpan.FromSeconds(60));

        var page = await NewPageAsync();
        await page.GotoAsync("/workers");
        var row = page.Locator("[data-test=worker]");
        await row.First.WaitForAsync();
        Assert.Equal(1, await row.CountAsync());
        Assert.Contains("fashion-mnist", await row.InnerTextAsync(), StringComparison.Ordinal);
        // The page refreshes itself: the run appears under the worker that trains it.
        await row.Locator("[data-test=worker-runs]").GetByText($"#{training} on the worker").WaitForAsync(new() { Timeout = 15_000 });
        await page.ScreenshotAsync(new() { Path = Shot("workers.png"), FullPage = true });

        var stranded = await Runs.CreateAsync(http, new { dataset = "cifar10", imbalanceFactor = 0.01, epochs = 1, batchSize = 32, depth = 8 }, "no CIFAR-10 here");
        await page.GotoAsync($"/runs/{stranded}");
        var waiting = page.Locator("[data-test=waiting]");
        await waiting.WaitForAsync();
        Assert.StartsWith("The dataset cifar10 is missing on every live worker", (await waiting.InnerTextAsync()).Trim(), StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = Shot("waiting-for-a-dataset.png"), FullPage = true });

        await http.PostAsync(new Uri($"/api/runs/{stranded}/cancel", UriKind.Relative), null);
        await http.PostAsync(new Uri($"/api/runs/{training}/cancel", UriKind.Relative), null);
        await Runs.WaitForStatusAsync(http, training, "Cancelled", TimeSpan.FromSeconds(60));
    }
}
