using System.Globalization;
using ProCo.Tests;
using Xunit.Abstractions;

namespace ProCo.Browser.Tests;

/// <summary>
/// What an open run page costs the database while its run trains: its charts stream over the hub, and the page
/// itself reads only on pushes, at most twice every two seconds. Measured as the SELECTs the server runs with the
/// page open, less those it runs with no page open, on the same live run.
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
        Assert.Equal("Running", await Runs.StatusAsync(http, id));

        var pageReads = open - baseline;
        Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"database reads: {baseline:F2}/s with no page open, {open:F2}/s with the run page open: the page reads {pageReads:F2}/s ({epochs})"));
        foreach (var sql in commands.Take(40)) Output.WriteLine(sql.ReplaceLineEndings(" "));
        Assert.True(pageReads <= 1.0, string.Create(CultureInfo.InvariantCulture, $"the open run page read the database {pageReads:F2} times a second"));
        // And it still follows the run: the console and the epoch line move on pushes.
        await page.WaitForFunctionAsync($"() => document.querySelector('[data-test=epoch-progress]').innerText !== {System.Text.Json.JsonSerializer.Serialize(epochs)}",
            null, new() { Timeout = 60_000 });
        await http.PostAsync(new Uri($"/api/runs/{id}/cancel", UriKind.Relative), null);
    }
}
