using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ProCo.Browser.Tests;

/// <summary>
/// Sweeps in Chromium: a 3 × 2 grid queued from the form lands on its sweep page, and its six runs are told apart
/// wherever they are named (sweep page, runs list, Compare's chips, legends and diff); a demo run beside the paper's
/// runs is compared by % of training, with a notice of what differs.
/// </summary>
[Collection(BrowserTestGroup.Name)]
public sealed partial class SweepBrowserTests(StudioServer server, ITestOutputHelper output) : BrowserTest(server, output)
{
    [Fact]
    public async Task AThreeByTwoGrid_QueuedFromTheForm_ShowsSixDistinguishableRuns_OnItsSweepPage_TheList_AndCompare()
    {
        using var http = Server.Http();
        // The form is filled from a tiny run (clone), so the six runs train in seconds.
        var template = await Runs.CreateAsync(http, Runs.Tiny(epochs: 1), "grid template");
        var page = await NewPageAsync();
        await page.GotoAsync($"/runs/new?clone={template}");
        await StudioServer.WaitForInteractiveAsync(page);
        await page.Locator("input[data-test=name]").FillAsync("ui grid");
        await page.Locator("input[data-test=grid-alpha]").FillAsync("0.5, 1, 2");
        await page.Locator("input[data-test=grid-seed]").FillAsync("0, 1");
        await Assertions.Expect(page.Locator("[data-test=run-count]")).ToHaveTextAsync("6 runs will be queued.");
        await page.Locator("[data-test=queue]").ClickAsync();
        await WaitForLocationAsync(page, @"^/sweeps/\d+$");
        var sweepId = long.Parse(SweepPath().Match(new Uri(page.Url).AbsolutePath).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

        // The sweep page: what varied, and six runs, each with its id and a name of its own.
        await Assertions.Expect(page.Locator("[data-test=sweep-name]")).ToContainTextAsync($"Sweep {sweepId} · ui grid");
        await Assertions.Expect(page.Locator("[data-test=sweep-varied]")).ToContainTextAsync("0.5, 1, 2");
        var runLinks = page.Locator("[data-test=sweep-run]");
        await Assertions.Expect(runLinks).ToHaveCountAsync(6);
        var names = await runLinks.AllInnerTextsAsync();
        Assert.Equal(6, names.Distinct().Count());
        Assert.Contains("ui grid · α 0.5, seed 1", names);
        var sweep = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/sweeps/{sweepId}", UriKind.Relative))).RootElement;
        var ids = sweep.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).ToArray();
        Assert.Equal(["alpha", "seed"], sweep.GetProperty("varied").EnumerateArray().Select(v => v.GetString()));
        var rows = await page.Locator("[data-test=sweep-runs] tbody tr").AllInnerTextsAsync();
        Assert.All(ids, id => Assert.Single(rows, r => r.Contains($"#{id}", StringComparison.Ordinal)));
        await page.ScreenshotAsync(new() { Path = Shot("sweep-page.png"), FullPage = true });

        // As the runs finish, the best one is named and marked.
        foreach (var id in ids) await Runs.WaitForStatusAsync(http, id, "Succeeded", TimeSpan.FromSeconds(300));
        await Assertions.Expect(page.Locator("[data-test=sweep-best]")).ToContainTextAsync("best top-1", new() { Timeout = 20_000 });
        var best = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/sweeps/{sweepId}", UriKind.Relative))).RootElement.GetProperty("bestRunId").GetInt64();
        await Assertions.Expect(page.Locator("[data-test=sweep-best]")).ToContainTextAsync($"#{best}");
        await Assertions.Expect(page.Locator("tr.sweep-best-row")).ToContainTextAsync($"#{best}");
        await Assertions.Expect(page.Locator("[data-test=sweep-summary]")).ToContainTextAsync("6 runs: 6 done", new() { Timeout = 20_000 });
        await page.ScreenshotAsync(new() { Path = Shot("sweep-page-done.png"), FullPage = true });

        // Sorting from the keyboard: Tab goes from header to header; Best top-1 starts with the best run, then reverses.
        await page.Locator("[data-test=sweep-runs] button[data-sort=id]").FocusAsync();
        for (var i = 0; i < 6 && !await page.EvaluateAsync<bool>("() => document.activeElement?.dataset.sort === 'best'"); i++)
            await page.Keyboard.PressAsync("Tab");
        Assert.True(await page.EvaluateAsync<bool>("() => document.activeElement?.dataset.sort === 'best'"), "Tab does not reach the Best top-1 header");
        await page.Keyboard.PressAsync("Enter");
        var bestHeader = page.Locator("[data-test=sweep-runs] th", new() { Has = page.Locator("button[data-sort=best]") });
        await Assertions.Expect(bestHeader).ToHaveAttributeAsync("aria-sort", "descending");
        var bestOf = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/sweeps/{sweepId}", UriKind.Relative))).RootElement
            .GetProperty("runs").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetInt64(), r => r.GetProperty("bestTop1").GetDouble());
        async Task<double> FirstRowsBest() => bestOf[long.Parse(Regex.Match(await page.Locator("[data-test=sweep-runs] tbody tr").First.InnerTextAsync(), @"#(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)];
        Assert.Equal(bestOf.Values.Max(), await FirstRowsBest());
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(bestHeader).ToHaveAttributeAsync("aria-sort", "ascending");
        Assert.Equal(bestOf.Values.Min(), await FirstRowsBest());

        // The sweeps list has it, with its varied fields and its best run.
        await page.GotoAsync("/sweeps");
        var row = page.Locator($"[data-test=sweep-row][data-sweep='{sweepId}']");
        await Assertions.Expect(row).ToContainTextAsync("α · seed");
        await Assertions.Expect(row).ToContainTextAsync($"#{best}");
        await page.ScreenshotAsync(new() { Path = Shot("sweeps-list.png"), FullPage = true });

        // The runs list names each with its id and links its sweep.
        await page.GotoAsync("/runs");
        await StudioServer.WaitForInteractiveAsync(page);
        foreach (var id in ids)
        {
            var listed = page.Locator($"tr.run-{id}");
            await Assertions.Expect(listed).ToContainTextAsync($"#{id}");
            await Assertions.Expect(listed.Locator("[data-test=row-sweep]")).ToContainTextAsync($"sweep {sweepId}");
        }

        // Filtered by configuration: this sweep's runs with alpha of 1 or more and seed 1 are two; with alpha of 1 or more, four.
        var configFilter = page.Locator("input[data-test=config-filter]");
        var mine = page.Locator("tr.run-row [data-test=row-sweep]", new() { HasTextRegex = new Regex($@"sweep {sweepId}\s*$") });
        await configFilter.FillAsync("alpha >= 1, seed = 1");
        await Assertions.Expect(mine).ToHaveCountAsync(2);
        await configFilter.FillAsync("alpha >= 1");
        await Assertions.Expect(mine).ToHaveCountAsync(4);
        await configFilter.FillAsync("beta >= 1");
        await Assertions.Expect(page.Locator(".mud-input-control", new() { Has = configFilter }).Locator(".mud-input-helper-text.mud-input-error")).ToContainTextAsync("'beta' is no configuration field");
        await configFilter.FillAsync("");
        await Assertions.Expect(mine).ToHaveCountAsync(6);

        // The column chooser toggles from its label and from its box; the name keeps a usable width with the recipe shown.
        await page.Locator("button[aria-label='Choose columns']").ClickAsync();
        var recipe = page.Locator("[data-test=column-hyper]");
        var recipeHeader = page.Locator("th", new() { HasText = "Recipe" });
        await Assertions.Expect(recipeHeader).ToHaveCountAsync(0);
        await recipe.GetByText("Recipe").ClickAsync();
        await Assertions.Expect(recipeHeader).ToHaveCountAsync(1);
        await recipe.Locator("input").ClickAsync();
        await Assertions.Expect(recipeHeader).ToHaveCountAsync(0);
        await recipe.GetByText("Recipe").ClickAsync();
        await Assertions.Expect(recipeHeader).ToHaveCountAsync(1);
        await page.Keyboard.PressAsync("Escape");
        // And from the keyboard: Enter opens the chooser on its first box, Tab walks the boxes, Space toggles, Escape closes.
        var tagsHeader = page.Locator("th", new() { HasText = "Tags" });
        await Assertions.Expect(tagsHeader).ToHaveCountAsync(0);
        await page.Locator("button[aria-label='Choose columns']").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForFunctionAsync("() => document.activeElement?.closest('[data-test=column-progress]') != null");
        for (var i = 0; i < 12 && !await page.EvaluateAsync<bool>("() => document.activeElement?.closest('[data-test=column-tags]') != null"); i++)
            await page.Keyboard.PressAsync("Tab");
        Assert.True(await page.EvaluateAsync<bool>("() => document.activeElement?.closest('[data-test=column-tags]') != null"), "Tab does not reach the Tags box");
        await page.Keyboard.PressAsync("Space");
        await Assertions.Expect(tagsHeader).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("[data-test=column-tags] input")).ToBeCheckedAsync();
        await page.ScreenshotAsync(new() { Path = Shot("runs-column-chooser.png") });
        await page.Keyboard.PressAsync("Space");
        await Assertions.Expect(tagsHeader).ToHaveCountAsync(0);
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator("[data-test=column-chooser]")).ToHaveCountAsync(0);
        Assert.True(await page.EvaluateAsync<bool>("() => document.activeElement?.getAttribute('aria-label') === 'Choose columns'"), "Escape does not return to the button");
        var nameWidth = await page.Locator($"tr.run-{ids[0]} td[data-label=Name]").EvaluateAsync<double>("e => e.getBoundingClientRect().width");
        Assert.True(nameWidth >= 180, $"the name column is {nameWidth} px wide");
        await page.ScreenshotAsync(new() { Path = Shot("runs-with-recipe.png"), FullPage = true });

        // Compare all six: chips, legends and the diff's headers each name a run by its id and its own name.
        await page.GotoAsync($"/sweeps/{sweepId}");
        await StudioServer.WaitForInteractiveAsync(page);
        await page.Locator("[data-test=compare-sweep]").ClickAsync();
        await WaitForLocationAsync(page, $@"^/compare\?ids={string.Join(',', ids)}$");
        await page.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 20_000 });
        var chips = await page.Locator("[data-test=compare-chip]").AllInnerTextsAsync();
        Assert.Equal(6, chips.Distinct().Count());
        Assert.All(ids, id => Assert.Single(chips, c => c.StartsWith($"#{id} ", StringComparison.Ordinal)));
        var legend = await page.EvaluateAsync<string[]>("() => studioTest.chartState('acc').labels");
        Assert.Equal(6, legend.Count(l => l.EndsWith("· test top-1", StringComparison.Ordinal)));
        Assert.Equal(6, legend.Where(l => l.EndsWith("· test top-1", StringComparison.Ordinal)).Distinct().Count());
        var headers = await page.Locator("[data-test=diff] thead th").AllInnerTextsAsync();
        Assert.All(ids, id => Assert.Single(headers, h => h.StartsWith($"#{id} ", StringComparison.Ordinal)));
        Assert.Equal(["alpha", "seed"], (await page.Locator("[data-test=diff] tr[data-field]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.field)")).Order());
        // One length, one dataset: no notice, the epoch axis.
        await Assertions.Expect(page.Locator("[data-test=mixed-notice]")).ToHaveCountAsync(0);
        await page.ScreenshotAsync(new() { Path = Shot("compare-sweep.png"), FullPage = true });

        // Dark, and on a phone.
        var dark = await NewPageAsync();
        await dark.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await dark.GotoAsync($"/sweeps/{sweepId}");
        await StudioServer.WaitForInteractiveAsync(dark);
        await Assertions.Expect(dark.Locator("[data-test=sweep-run]")).ToHaveCountAsync(6);
        await dark.ScreenshotAsync(new() { Path = Shot("sweep-page-dark.png"), FullPage = true });
        var phone = await NewPageAsync(390, 844);
        await phone.GotoAsync($"/sweeps/{sweepId}");
        await StudioServer.WaitForInteractiveAsync(phone);
        await Assertions.Expect(phone.Locator("[data-test=sweep-run]")).ToHaveCountAsync(6);
        // Nothing pushes the page sideways, and the navigation rail gives its width to the page.
        Assert.False(await phone.Locator(".studio-drawer").IsVisibleAsync());
        Assert.True(await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), "the sweep page scrolls sideways at 390 px");
        await phone.ScreenshotAsync(new() { Path = Shot("sweep-page-phone.png"), FullPage = true });
        // The runs list on the phone: a sort control in place of the header row, and cell labels kept whole ("Name", not "Na me").
        await phone.GotoAsync("/runs");
        await StudioServer.WaitForInteractiveAsync(phone);
        await Assertions.Expect(phone.Locator("[data-test=sort-select]")).ToBeVisibleAsync();
        var nameCell = phone.Locator($"tr.run-{ids[0]} td[data-label=Name]");
        Assert.Equal("nowrap", await nameCell.EvaluateAsync<string>("e => getComputedStyle(e, '::before').whiteSpace"));
        Assert.True(await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), "the runs list scrolls sideways at 390 px");
        await phone.ScreenshotAsync(new() { Path = Shot("runs-phone.png"), FullPage = false });
    }

    [Fact]
    public async Task ADemoRunBesideThePapersRuns_IsComparedByPercentOfTraining_WithANoticeOfWhatDiffers()
    {
        using var http = Server.Http();
        var demo = await Runs.CreateAsync(http, Runs.Tiny(epochs: 2), "short demo");
        var imported = await http.PostAsync(new Uri("/api/import/reference", UriKind.Relative), null);
        Assert.True(imported.IsSuccessStatusCode, await imported.Content.ReadAsStringAsync());
        var paper = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/runs?pageSize=500", UriKind.Relative))).RootElement.GetProperty("items")
            .EnumerateArray().Where(r => r.GetProperty("isImported").GetBoolean() && r.GetProperty("dataset").GetString() == "cifar10" && r.GetProperty("epochs").GetInt32() == 200)
            .Select(r => r.GetProperty("id").GetInt64()).Order().Take(2).ToArray();
        Assert.Equal(2, paper.Length);
        await Runs.WaitForStatusAsync(http, demo, "Succeeded", TimeSpan.FromSeconds(300));

        var page = await NewPageAsync();
        await page.GotoAsync($"/compare?ids={demo},{paper[0]},{paper[1]},999999");
        await StudioServer.WaitForInteractiveAsync(page);
        await page.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 20_000 });
        // What differs is said; the unknown run is named, not dropped in silence.
        await Assertions.Expect(page.Locator("[data-test=mixed-notice]")).ToContainTextAsync("differ in datasets (fashion-mnist, cifar10)");
        await Assertions.Expect(page.Locator("[data-test=mixed-notice]")).ToContainTextAsync("length (2 to 200 epochs)");
        await Assertions.Expect(page.Locator("[data-test=unknown-runs]")).ToContainTextAsync("'999999'");
        // Import-only details are no differences.
        var fields = await page.Locator("[data-test=diff] tr[data-field]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.field)");
        Assert.DoesNotContain("folder", fields);
        Assert.DoesNotContain("source", fields);

        // Every run's accuracy spans the axis, 0-100 % of its training.
        var acc = await page.EvaluateAsync<JsonElement>("() => studioTest.chartState('acc')");
        Assert.Equal("% of training", acc.GetProperty("x").GetString());
        var tops = acc.GetProperty("lines").EnumerateArray().Where(l => l.GetProperty("label").GetString()!.EndsWith("· test top-1", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, tops.Count);
        Assert.All(tops, l => Assert.Equal(100.0, l.GetProperty("x").GetDouble(), 6));
        Assert.Contains(tops, l => l.GetProperty("firstX").GetDouble() == 50.0); // the demo's first of two epochs
        // Its legend scrolls inside its box: never taller than half the plot.
        var legendHeight = await page.Locator("[data-chart=loss] .u-legend").EvaluateAsync<double>("e => e.getBoundingClientRect().height");
        Assert.True(legendHeight <= 121, $"legend {legendHeight} px");
        // The x menu still offers epochs.
        await page.Locator("[data-chart=acc] select[data-test=x-axis]").SelectOptionAsync("epoch");
        await page.WaitForFunctionAsync("() => studioTest.chartState('acc').x === 'epoch'");
        Assert.Contains("% of training", await page.Locator("[data-chart=acc] select[data-test=x-axis] option").AllInnerTextsAsync());
        await page.Locator("[data-chart=acc] select[data-test=x-axis]").SelectOptionAsync("percent");
        await page.Locator("[data-chart=acc]").ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync(new() { Path = Shot("compare-mixed.png"), FullPage = true });
    }

    [Fact]
    public async Task ARunsPage_OpensWithAnOverview_WhenWhereAndHow_AndItsConfigurationAsATable_CopyableAsACommandLine()
    {
        using var http = Server.Http();
        var id = await Runs.CreateAsync(http, Runs.Tiny(epochs: 1, lr: 0.07), "overview");
        await Runs.WaitForStatusAsync(http, id, "Succeeded", TimeSpan.FromSeconds(300));
        var detail = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}", UriKind.Relative))).RootElement;
        var config = ProCo.Training.Engine.TrainingConfig.FromJson(detail.GetProperty("configJson").GetString()!);

        var page = await NewPageAsync();
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await page.GotoAsync($"/runs/{id}");
        await StudioServer.WaitForInteractiveAsync(page);
        // The keyboard's first stop skips the bar and the navigation: the next stop is on the page itself.
        await page.Locator("body").FocusAsync();
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("skip-link", await page.EvaluateAsync<string?>("() => document.activeElement?.dataset?.test ?? null"));
        await page.Keyboard.PressAsync("Enter");
        await page.Keyboard.PressAsync("Tab");
        Assert.True(await page.EvaluateAsync<bool>("() => document.getElementById('main-content').contains(document.activeElement)"),
            "after the skip link, Tab goes into the page");
        var overview = page.Locator("[data-test=overview]");
        await Assertions.Expect(page.Locator("[data-test=run-id]")).ToHaveTextAsync($"run #{id}");
        await Assertions.Expect(overview.Locator("[data-test=overview-duration]")).ToContainTextAsync("Took");
        await Assertions.Expect(overview.Locator("[data-test=overview-worker]")).Not.ToContainTextAsync("–");
        // auto trains in fp32 on the CPU, whatever the CPU offers.
        await Assertions.Expect(overview).ToContainTextAsync("Precision fp32");

        await overview.Locator("[data-test=configuration] .mud-expand-panel-header").ClickAsync();
        var lr = overview.Locator("[data-test=config-table] tr[data-field=learningRate]");
        await Assertions.Expect(lr).ToContainTextAsync("0.07");
        await Assertions.Expect(lr).ToHaveClassAsync(new Regex("studio-changed"));
        await Assertions.Expect(overview.Locator("[data-test=config-table] tr[data-field=momentum]")).Not.ToHaveClassAsync(new Regex("studio-changed"));
        var line = ProCo.Web.Cli.TrainCommandLine.Of(config);
        Assert.Contains("--lr 0.07", line, StringComparison.Ordinal);
        await Assertions.Expect(overview.Locator("[data-test=command-line]")).ToHaveTextAsync(line);
        await overview.Locator("[data-test=copy-command]").ClickAsync();
        await Assertions.Expect(page.GetByText("The command line is on the clipboard.")).ToBeVisibleAsync();
        Assert.Equal(line, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        await page.ScreenshotAsync(new() { Path = Shot("run-overview.png"), FullPage = false });
    }

    [GeneratedRegex(@"^/sweeps/(\d+)$")]
    private static partial Regex SweepPath();
}
