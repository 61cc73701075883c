using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ProCo.Browser.Tests;

/// <summary>The new-run form and its grid in Chromium: errors on their fields, as typed, gone once mended.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed class FormBrowserTests(StudioServer server, ITestOutputHelper output) : BrowserTest(server, output)
{
    [Fact]
    public async Task TextInANumberField_StaysAsTyped_WithItsFieldsError_AndABadGridValue_MarksItsListAndQueuesNothing()
    {
        var page = await NewPageAsync();
        await page.GotoAsync("/runs/new");
        await StudioServer.WaitForInteractiveAsync(page);
        var queue = page.Locator("[data-test=queue]");
        await Assertions.Expect(page.Locator("[data-test=run-count]")).ToHaveTextAsync("1 run will be queued.");

        var epochs = page.Locator("input[data-test=epochs]");
        await epochs.FillAsync("abc");
        await epochs.PressAsync("Tab");
        var errors = page.Locator("[data-test=form-errors]");
        await Assertions.Expect(errors).ToContainTextAsync("Epochs: 'abc' is not a whole number.");
        Assert.Equal("abc", await epochs.InputValueAsync());
        // The field itself is marked, with the reason under it.
        var epochsBox = page.Locator(".mud-input-control", new() { Has = epochs });
        await Assertions.Expect(epochsBox.Locator(".mud-input-helper-text.mud-input-error")).ToContainTextAsync("is not a whole number");
        await Assertions.Expect(queue).ToBeDisabledAsync();

        // A grid value that is no method marks the methods list; nothing is counted or queued.
        var methods = page.Locator("input[data-test=grid-method]");
        await methods.FillAsync("proco, foo");
        var methodsBox = page.Locator(".mud-input-control", new() { Has = methods });
        await Assertions.Expect(methodsBox.Locator(".mud-input-helper-text.mud-input-error")).ToContainTextAsync("'foo' is not one of proco, la, ce");
        await Assertions.Expect(errors).ToContainTextAsync("Fix the highlighted 2 fields to queue");
        await Assertions.Expect(page.Locator("[data-test=run-count]")).ToHaveCountAsync(0);
        await page.ScreenshotAsync(new() { Path = Shot("form-errors.png"), FullPage = true });

        // Mended, the errors are gone (no empty alert is left) and the grid is counted.
        await epochs.FillAsync("2");
        await epochs.PressAsync("Tab");
        await methods.FillAsync("proco, ce");
        await page.Locator("input[data-test=grid-seed]").FillAsync("0, 1");
        await Assertions.Expect(page.Locator("[data-test=run-count]")).ToHaveTextAsync("4 runs will be queued.");
        await Assertions.Expect(errors).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator(".mud-input-helper-text.mud-input-error")).ToHaveCountAsync(0);
        await Assertions.Expect(queue).ToBeEnabledAsync();
        await Assertions.Expect(queue).ToHaveTextAsync("Queue 4 runs");
        await page.ScreenshotAsync(new() { Path = Shot("form-grid.png"), FullPage = true });

        // This server's limit is said as the value is typed, not after queueing.
        await epochs.FillAsync("5000");
        await epochs.PressAsync("Tab");
        await Assertions.Expect(errors).ToContainTextAsync("At most 1,000 epochs on this server (ProCo:Limits:MaxEpochs).");
        await Assertions.Expect(queue).ToBeDisabledAsync();
        await epochs.FillAsync("2");
        await epochs.PressAsync("Tab");
        await Assertions.Expect(queue).ToBeEnabledAsync();
        // An imbalance typed as its factor says how it is read.
        var imbalance = page.Locator("input[data-test=imbalance]");
        await imbalance.FillAsync("5");
        await imbalance.PressAsync("Tab");
        var imbalanceBox = page.Locator(".mud-input-control", new() { Has = imbalance });
        await Assertions.Expect(imbalanceBox.Locator(".mud-input-helper-text")).ToHaveTextAsync("read as imbalance 5 = ratio 0.2");
        // A built-in dataset hides the fields only an image folder reads.
        Assert.Equal(0, await page.Locator("input[data-test=crop-size]").CountAsync());
        Assert.Equal(0, await page.Locator("input[data-test=loader-threads]").CountAsync());
    }

    [Fact]
    public async Task RandomSearch_DrawsFromARange_OncePerSeed_AndQueuesThoseRuns()
    {
        var page = await NewPageAsync();
        await page.GotoAsync("/runs/new");
        await StudioServer.WaitForInteractiveAsync(page);
        await page.Locator("input[data-test=name]").FillAsync("random search");
        await page.Locator("[data-test=random-search] input, input[data-test=random-search]").CheckAsync();
        // Switched on, nothing typed yet: no error, a hint, and nothing to queue.
        await Assertions.Expect(page.Locator("[data-test=run-count]")).ToHaveTextAsync("Type a list or a range above: random search draws from them.");
        await Assertions.Expect(page.Locator("[data-test=form-errors]")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("[data-test=queue]")).ToBeDisabledAsync();
        // The imbalance list suggests a range in the paper's terms and says both forms are read.
        var imbalance = page.Locator("input[data-test=grid-imbalance]");
        await Assertions.Expect(imbalance).ToHaveAttributeAsync("placeholder", "10..100 log");
        await Assertions.Expect(page.Locator(".mud-input-control", new() { Has = imbalance }).Locator(".mud-input-helper-text"))
            .ToContainTextAsync("100 and 0.01 are both imbalance 100");
        await page.Locator("input[data-test=grid-lr]").FillAsync("0.01..0.1 log");
        await page.Locator("input[data-test=grid-seed]").FillAsync("0, 1");
        var samples = page.Locator("input[data-test=samples]");
        await samples.FillAsync("3");
        await samples.PressAsync("Tab");
        await page.Locator("input[data-test=sampler-seed]").FillAsync("5");
        await page.Locator("input[data-test=sampler-seed]").PressAsync("Tab");
        await Assertions.Expect(page.Locator("[data-test=run-count]")).ToHaveTextAsync("6 runs will be queued.");
        // A range where a grid wants values is refused on its list.
        await page.Locator("input[data-test=grid-seed]").FillAsync("0..3");
        await Assertions.Expect(page.Locator("[data-test=form-errors]")).ToContainTextAsync("'0..3' is a range; list the values of this field.");
        await page.Locator("input[data-test=grid-seed]").FillAsync("0, 1");
        await Assertions.Expect(page.Locator("[data-test=run-count]")).ToHaveTextAsync("6 runs will be queued.");
        await page.ScreenshotAsync(new() { Path = Shot("random-search.png"), FullPage = true });

        await page.Locator("[data-test=queue]").ClickAsync();
        // A sweep lands on its own page.
        await WaitForLocationAsync(page, @"^/sweeps/\d+$");
        using var http = Server.Http();
        var runs = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/runs?pageSize=500", UriKind.Relative))).RootElement
            .GetProperty("items").EnumerateArray().Where(r => r.GetProperty("name").GetString()!.StartsWith("random search · lr ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(6, runs.Length);
        var configs = new List<(double Lr, int Seed)>();
        foreach (var run in runs)
        {
            var config = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{run.GetProperty("id").GetInt64()}", UriKind.Relative)))
                .RootElement.GetProperty("config");
            configs.Add((config.GetProperty("learningRate").GetDouble(), config.GetProperty("seed").GetInt32()));
        }
        Assert.All(configs, c => Assert.InRange(c.Lr, 0.01, 0.1));
        // Three drawn learning rates, each with seeds 0 and 1.
        Assert.Equal(3, configs.Select(c => c.Lr).Distinct().Count());
        Assert.All(configs.GroupBy(c => c.Lr), g => Assert.Equal([0, 1], g.Select(c => c.Seed).Order()));
    }
}
