using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ProCo.Browser.Tests;

[Collection(BrowserTestGroup.Name)]
public class ShellTests(StudioServer server, ITestOutputHelper output) : BrowserTest(server, output)
{
    [Fact]
    public async Task RunsPage_RendersInteractiveShellInChromium()
    {
        var page = await NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Add(message.Text); };

        await page.GotoAsync("/");
        // The empty state or the table, depending on what other tests of the collection queued.
        await page.Locator(".mud-table, :text('No runs yet')").First.WaitForAsync();
        // Retrying: when the circuit starts, the head outlet renders the title again and in between it is empty.
        await Assertions.Expect(page).ToHaveTitleAsync("Runs · ProCo Studio");
        // MudBlazor's stylesheet applied: the app bar is laid out with its theme colour.
        // (Asserted with Playwright's retrying check: the prerendered app bar is replaced once the circuit
        // renders, and a style read from the replaced element in between is empty.)
        await Assertions.Expect(page.Locator(".mud-appbar")).ToHaveCSSAsync("background-color", "rgb(40, 53, 147)");
        // The Blazor circuit connects: toggling the drawer works only when interactive.
        await StudioServer.WaitForInteractiveAsync(page);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(StudioServer.ScreenshotDir, "runs-empty.png"), FullPage = true });
        Assert.Empty(errors);
    }
}
