using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ProCo.Browser.Tests;

/// <summary>Compare in Chromium: runs added and removed in place, seed groups, hyperparameters against results.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed class CompareBrowserTests(StudioServer server, ITestOutputHelper output) : BrowserTest(server, output)
{
    /// <summary>
    /// Types into Compare's run picker and clicks the run named <paramref name="name"/> once the list
    /// shows the search for <paramref name="typed"/>: the picker opens on focus with the latest runs
    /// and replaces them when its debounced search answers, so an item clicked from the first list can
    /// be gone before the click lands (CI saw the click lost that way once).
    /// </summary>
    private static async Task PickRunAsync(IPage page, ILocator picker, string typed, string name)
    {
        await picker.FillAsync(typed);
        await page.WaitForFunctionAsync(
            "t => { const items = [...document.querySelectorAll('.mud-popover-open .mud-list-item')];"
            + " return items.length > 0 && items.every(i => i.textContent.toLowerCase().includes(t)); }",
            typed, new() { Timeout = 20_000 });
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = name }).ClickAsync();
    }

    [Fact]
    public async Task RunsAreAddedAndRemovedInPlace_SeedsGroupIntoAMeanWithABand_AndAlphaIsPlottedAgainstFewShot()
    {
        using var http = Server.Http();
        var a = await Runs.CreateAsync(http, Runs.Tiny(epochs: 2, seed: 0), "hp alpha 1 seed 0");
        var b = await Runs.CreateAsync(http, Runs.Tiny(epochs: 2, seed: 1), "hp alpha 1 seed 1");
        var c = await Runs.CreateAsync(http, Runs.Tiny(epochs: 2, seed: 0, alpha: 2), "hp alpha 2 seed 0");
        foreach (var id in new[] { a, b, c }) await Runs.WaitForStatusAsync(http, id, "Succeeded", TimeSpan.FromSeconds(300));

        var page = await NewPageAsync();
        await page.GotoAsync($"/compare?ids={a},{b}");
        await StudioServer.WaitForInteractiveAsync(page);
        await page.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 20_000 });

        // Add the third run from the page itself.
        var add = page.Locator("[data-test=add-run] input, input[data-test=add-run]");
        await PickRunAsync(page, add, "alpha 2", "hp alpha 2 seed 0");
        await WaitForLocationAsync(page, $@"^/compare\?ids={a},{b},{c}$");
        await Assertions.Expect(page.Locator("[data-test=compare-chip]")).ToHaveCountAsync(3);
        await Assertions.Expect(add).ToHaveValueAsync("");
        await page.WaitForFunctionAsync("() => studioTest.comparePoints('acc').length === 3", null, new() { Timeout = 20_000 });

        // Remove one, then add it back.
        await page.Locator($"[data-test=compare-chip][data-run='{b}'] .mud-chip-close-button").ClickAsync();
        await WaitForLocationAsync(page, $@"^/compare\?ids={a},{c}$");
        await page.WaitForFunctionAsync("() => studioTest.comparePoints('acc').length === 2", null, new() { Timeout = 20_000 });
        // Down to one run (nothing to compare) and back: the charts are drawn again.
        await page.Locator($"[data-test=compare-chip][data-run='{c}'] .mud-chip-close-button").ClickAsync();
        await WaitForLocationAsync(page, $@"^/compare\?ids={a}$");
        await Assertions.Expect(page.GetByText("Add two or more runs above")).ToBeVisibleAsync();
        await PickRunAsync(page, add, "alpha 2", "hp alpha 2 seed 0");
        await WaitForLocationAsync(page, $@"^/compare\?ids={a},{c}$");
        await page.WaitForFunctionAsync("() => studioTest.comparePoints('acc').length === 2 && studioTest.comparePoints('acc').every(n => n > 0)", null, new() { Timeout = 20_000 });
        await PickRunAsync(page, add, "seed 1", "hp alpha 1 seed 1");
        await WaitForLocationAsync(page, $@"^/compare\?ids={a},{c},{b}$");
        await page.WaitForFunctionAsync("() => studioTest.comparePoints('acc').length === 3", null, new() { Timeout = 20_000 });

        // Hyperparameters: one line per run through alpha and seed and the results; alpha against few-shot.
        await page.WaitForFunctionAsync("() => studioTest.hparams() !== null");
        var hp = await page.EvaluateAsync<JsonElement>("() => studioTest.hparams()");
        var axes = hp.GetProperty("axes").EnumerateArray().Select(e => e.GetString()).ToArray();
        // Axes named in words (not code keys), drawn by ECharts in SVG.
        Assert.Equal(["Seed", "α (ProCo weight)"], axes.Take(2).Order(StringComparer.Ordinal));
        Assert.Contains("best top-1 %", axes);
        Assert.Equal(3, hp.GetProperty("lines").GetInt32());
        Assert.Equal(("alpha", "lastFew"), (hp.GetProperty("x").GetString(), hp.GetProperty("y").GetString()));
        Assert.Equal([1.0, 1.0, 2.0], hp.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("x").GetDouble()).Order());
        var parallel = page.Locator("[data-test=parallel]");
        await Assertions.Expect(parallel.Locator("svg text", new() { HasText = "α (ProCo weight)" }).First).ToBeVisibleAsync();
        // Each run's line in its colour of the line charts, named by number and name in the legend.
        await Assertions.Expect(parallel.GetByText($"#{c} hp alpha 2 seed 0")).ToBeVisibleAsync();
        await parallel.ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync(new() { Path = Shot("compare-hparams.png"), FullPage = true });
        // Brushing the alpha axis to 1.5-2.5 keeps one run: the others are dimmed in the accuracy table.
        var alphaAxis = axes.ToList().IndexOf("α (ProCo weight)");
        await page.EvaluateAsync("a => studioTest.brushHparams(a, 1.5, 2.5)", alphaAxis);
        await Assertions.Expect(page.Locator("[data-test=hparams-note]")).ToContainTextAsync("1 of 3 runs inside the brushed ranges");
        await Assertions.Expect(page.Locator("tr.studio-dimmed[data-test=shots-row]")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator($"[data-test=shots-row][data-runs='{c}']")).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("studio-dimmed"));
        await page.ScreenshotAsync(new() { Path = Shot("compare-hparams-brushed.png"), FullPage = true });
        // Dark: the views redraw in the dark theme's ink, every run shown again.
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await page.WaitForFunctionAsync("() => document.documentElement.dataset.theme === 'dark'");
        await Assertions.Expect(page.Locator("tr.studio-dimmed[data-test=shots-row]")).ToHaveCountAsync(0);
        await parallel.ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync(new() { Path = Shot("compare-hparams-dark.png") });
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });
        await page.WaitForFunctionAsync("() => document.documentElement.dataset.theme === 'light'");
        await page.EvaluateAsync("a => studioTest.brushHparams(a, 0, 10)", alphaAxis);
        await Assertions.Expect(page.Locator("tr.studio-dimmed[data-test=shots-row]")).ToHaveCountAsync(0);

        // On a phone: the page does not scroll sideways (the parallel view scrolls inside its own box).
        var phone = await NewPageAsync(390, 844);
        await phone.GotoAsync($"/compare?ids={a},{b},{c}");
        await phone.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 20_000 });
        await phone.WaitForFunctionAsync("() => studioTest.hparams() !== null");
        Assert.True(await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"),
            "Compare scrolls sideways at 390 px: " + await phone.EvaluateAsync<string>("() => document.documentElement.scrollWidth + ' px'"));
        await phone.Locator("[data-test=parallel]").ScrollIntoViewIfNeededAsync();
        await phone.ScreenshotAsync(new() { Path = Shot("compare-hparams-phone.png"), FullPage = true });

        // Group seeds: the two alpha-1 runs become one row (mean ± sd) and one line per series with a band.
        await page.Locator("[data-test=group-seeds] input, input[data-test=group-seeds]").CheckAsync();
        await page.WaitForFunctionAsync("() => studioTest.groupMembers?.('acc')?.length > 0", null, new() { Timeout = 20_000 });
        var members = await page.EvaluateAsync<JsonElement>("() => studioTest.groupMembers('acc')");
        Assert.All(members.EnumerateArray(), g => Assert.Equal(new[] { a, b }.Order(), g.GetProperty("ids").EnumerateArray().Select(i => i.GetInt64()).Order()));
        var rows = page.Locator("[data-test=shots-row]");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("[data-test=shots-row][data-members='2']")).ToContainTextAsync("(seeds 0, 1)");
        await Assertions.Expect(page.Locator("[data-test=shots-row][data-members='2'] [data-test=spread]").First).ToContainTextAsync("±");
        var top1 = JsonSerializer.Deserialize<JsonElement>(await page.EvaluateAsync<string>("() => JSON.stringify(studioTest.chartState('acc'))"));
        var group = top1.GetProperty("lines").EnumerateArray().Single(l => l.GetProperty("label").GetString()!.EndsWith("(seeds 0, 1) · test top-1", StringComparison.Ordinal));
        var (low, mean, high) = (group.GetProperty("low").GetDouble(), group.GetProperty("raw").GetDouble(), group.GetProperty("high").GetDouble());
        Assert.True(low <= mean && mean <= high, $"{low} <= {mean} <= {high}");
        var bestA = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{a}", UriKind.Relative))).RootElement.GetProperty("series").EnumerateArray()
            .Single(s => s.GetProperty("series").GetString() == "acc/val_top1").GetProperty("last").GetDouble();
        var bestB = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{b}", UriKind.Relative))).RootElement.GetProperty("series").EnumerateArray()
            .Single(s => s.GetProperty("series").GetString() == "acc/val_top1").GetProperty("last").GetDouble();
        Assert.Equal((bestA + bestB) / 2, mean, 6);
        Assert.Equal(Math.Min(bestA, bestB), low, 6);
        Assert.Equal(Math.Max(bestA, bestB), high, 6);
        await page.ScreenshotAsync(new() { Path = Shot("compare-seed-groups.png"), FullPage = true });
    }
}
