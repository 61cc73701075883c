using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ProCo.Browser.Tests;

/// <summary>The Workers page and the waiting reason in Chromium: who trains what, and why a run does not start.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed class WorkersBrowserTests(StudioServer server, ITestOutputHelper output) : BrowserTest(server, output)
{
    private const string CancelConfirmationYes = ProCo.Web.Components.Shared.CancelConfirmation.Yes;

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

        // The Queue page, from the menu: what trains, and what waits in the order workers take it, each saying why.
        var behind = await Runs.CreateAsync(http, Runs.Tiny(epochs: 1), "behind the first");
        await page.Locator(".studio-drawer a[href='/queue']").ClickAsync();
        await WaitForLocationAsync(page, "^/queue$");
        await StudioServer.WaitForInteractiveAsync(page);
        await Assertions.Expect(page.Locator($"[data-test=running-run][data-run='{training}']")).ToContainTextAsync("on the worker");
        var behindRow = page.Locator($"[data-test=queued-run][data-run='{behind}']");
        await Assertions.Expect(behindRow).ToHaveAttributeAsync("data-position", "1");
        await Assertions.Expect(behindRow.Locator("[data-test=waiting]")).ToContainTextAsync("Position 1 in the");
        await Assertions.Expect(page.Locator($"[data-test=queued-run][data-run='{stranded}'] [data-test=waiting]")).ToContainTextAsync("The dataset cifar10 is missing");
        // An admin also finds the job system's own dashboard there, named as what it is.
        await Assertions.Expect(page.Locator("[data-test=hangfire]")).ToContainTextAsync("Job internals (Hangfire)");
        await page.Mouse.MoveAsync(900, 700); // the menu opens while hovered, and closes in a moment
        await page.WaitForTimeoutAsync(600);
        await page.ScreenshotAsync(new() { Path = Shot("queue.png"), FullPage = true });
        // Cancelled from the queue, after the question.
        await behindRow.Locator("[data-test=cancel]").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = CancelConfirmationYes }).ClickAsync();
        await Assertions.Expect(behindRow).ToHaveCountAsync(0, new() { Timeout = 10_000 });
        Assert.Equal("Cancelled", await Runs.StatusAsync(http, behind));
        var queue = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/queue", UriKind.Relative))).RootElement;
        Assert.Equal(1, queue.GetProperty("queuedTotal").GetInt32());
        Assert.Equal(stranded, queue.GetProperty("queued")[0].GetProperty("run").GetProperty("id").GetInt64());

        await http.PostAsync(new Uri($"/api/runs/{stranded}/cancel", UriKind.Relative), null);
        await http.PostAsync(new Uri($"/api/runs/{training}/cancel", UriKind.Relative), null);
        await Runs.WaitForStatusAsync(http, training, "Cancelled", TimeSpan.FromSeconds(60));
    }
}
