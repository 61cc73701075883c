using System.Globalization;
using ProCo.Tests;
using Xunit.Abstractions;

namespace ProCo.Browser.Tests;

/// <summary>
/// What an open run page costs the database while its run trains: its charts stream over the hub, and the page
/// itself reads only on pushes, its console every two seconds and its checkpoints every ten at most. Counted as the
/// SELECTs the server runs named "run page" (QueryOrigin), and, for context, as all the server's SELECTs with the
/// page open less those with no page open on the same live run (a difference of two rates, which the run's own
/// pace moves by a read a second or so).
/// </summary>
[Collection(BrowserTestGroup.Name)]
public sealed class LiveReadsTests(StudioServer server, ITestOutputHelper output) : BrowserTest(server, output)
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task AnOpenRunPage_ReadsTheDatabaseAtMostOncePerSecond_WhileItsRunTrains()
    {
        using var http = Server.Http();
        var id = await Runs.CreateAsync(http, Runs.Tiny(epochs: 40, maxPerClass: 200), "database reads");
        await Runs.WaitForStatusAsync(http, id, "Running", TimeSpan.FromSeconds(180));
        using var reads = new DatabaseReads();

        // The same run with no page: what the server reads anyway (the trainer's row updates, the lease monitor).
        var (baseline, _) = await reads.SelectsPerSecondAsync(Window);

        var page = await NewPageAsync();
        await page.GotoAsync($"/runs/{id}");
        await page.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 30_000 });
        // The first load and the charts' first reads are done; from here the page lives on pushes.
        await page.WaitForFunctionAsync("() => studioTest.chartPoints('loss') > 0", null, new() { Timeout = 60_000 });
        await Task.Delay(TimeSpan.FromSeconds(3));
        var (open, commands) = await reads.SelectsPerSecondAsync(Window);
        var epochs = await page.Locator("[data-test=epoch-progress]").InnerTextAsync();
        var status = await Runs.StatusAsync(http, id);
        Assert.True(status == "Running", $"run {id} is {status}: {await Runs.ErrorsAsync(http, id)}");

        var window = Window.TotalSeconds;
        var named = DatabaseReads.From(commands, "run page");
        var pageReads = named.Count / window;
        Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"the run page's own reads: {named.Count} in {window:F0} s = {pageReads:F2}/s ({epochs}); all the server's reads: {baseline:F2}/s with no page open, {open:F2}/s with it open"));
        foreach (var sql in named) Output.WriteLine(sql.ReplaceLineEndings(" "));
        // It does read (the console's new lines): the count is of the page's commands, not of nothing.
        Assert.True(named.Count >= 3, $"the page read {named.Count} times in {window:F0} s: it no longer follows its console?");
        Assert.True(pageReads <= 1.0, string.Create(CultureInfo.InvariantCulture, $"the open run page read the database {pageReads:F2} times a second"));
        // And it still follows the run: the console and the epoch line move on pushes.
        await page.WaitForFunctionAsync($"() => document.querySelector('[data-test=epoch-progress]').innerText !== {System.Text.Json.JsonSerializer.Serialize(epochs)}",
            null, new() { Timeout = 60_000 });
        await http.PostAsync(new Uri($"/api/runs/{id}/cancel", UriKind.Relative), null);
    }
}
