using Microsoft.Playwright;

namespace ProCo.Browser.Tests;

public class ShellTests : IClassFixture<StudioServer>
{
    private readonly StudioServer _server;

    public ShellTests(StudioServer server) => _server = server;

    [Fact]
    public async Task RunsPage_RendersInteractiveShellInChromium()
    {
        var page = await _server.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Add(message.Text); };

        await page.GotoAsync("/");
        await page.GetByText("No runs yet").WaitForAsync();
        Assert.Equal("Runs · ProCo Studio", await page.TitleAsync());
        // MudBlazor's stylesheet applied: the app bar is laid out with its theme colour.
        var appBarColour = await page.Locator(".mud-appbar").EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor");
        Assert.Equal("rgb(40, 53, 147)", appBarColour);
        // The Blazor circuit connects: toggling the drawer works only when interactive.
        await page.WaitForFunctionAsync("() => window.Blazor !== undefined");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(StudioServer.ScreenshotDir, "runs-empty.png"), FullPage = true });
        Assert.Empty(errors);
    }
}
