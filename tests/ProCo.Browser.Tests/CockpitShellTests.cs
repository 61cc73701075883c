using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ProCo.Browser.Tests;

/// <summary>The cockpit's frame in Chromium: theme, menu, keyboard focus, toasts, progress, the import dialog.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed partial class CockpitShellTests(StudioServer server, ITestOutputHelper output) : BrowserTest(server, output)
{
    private static Task<string> BackgroundAsync(IPage page) =>
        page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");

    [Fact]
    public async Task TheThemeFollowsTheBrowser_TheToggleOverridesIt_AndChartsDrawInIt()
    {
        using var http = Server.Http();
        var id = await Runs.CreateAsync(http, Runs.Tiny(epochs: 1), "theme");
        await Runs.WaitForStatusAsync(http, id, "Succeeded", TimeSpan.FromSeconds(300));

        var page = await NewPageAsync();
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await page.GotoAsync($"/runs/{id}");
        await StudioServer.WaitForInteractiveAsync(page);
        await page.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 20_000 });
        // The browser prefers dark: the page is dark, and the charts' axes are drawn in light ink.
        await page.WaitForFunctionAsync("() => document.documentElement.dataset.theme === 'dark'");
        Assert.Equal("rgb(50, 51, 61)", await BackgroundAsync(page));
        var ink = await page.EvaluateAsync<string>("async () => (await import('/js/shared/theme.js')).inkColours().text");
        Assert.Equal("#c9ccd6", ink);
        await page.ScreenshotAsync(new() { Path = Shot("run-dark.png"), FullPage = true });

        // The toggle goes light, then dark, then back to the browser's choice; it is remembered.
        var toggle = page.Locator("[data-test=theme]");
        await toggle.ClickAsync();
        await Assertions.Expect(toggle).ToHaveAttributeAsync("data-theme-mode", "light");
        await page.WaitForFunctionAsync("() => document.documentElement.dataset.theme === 'light'");
        Assert.Equal("rgb(255, 255, 255)", await BackgroundAsync(page));
        await page.ReloadAsync();
        await StudioServer.WaitForInteractiveAsync(page);
        await page.WaitForFunctionAsync("() => document.documentElement.dataset.theme === 'light'");
        await page.Locator("[data-test=theme]").ClickAsync();
        await page.WaitForFunctionAsync("() => document.documentElement.dataset.theme === 'dark'");
        await page.Locator("[data-test=theme]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-test=theme]")).ToHaveAttributeAsync("data-theme-mode", "system");
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });
        await page.WaitForFunctionAsync("() => document.documentElement.dataset.theme === 'light'");
    }

    [Fact]
    public async Task TheMenuOpensOverThePage_KeyboardFocusIsVisible_AndTheImportDialogRefusesAFileTooShort()
    {
        var page = await NewPageAsync();
        await page.GotoAsync("/runs");
        await StudioServer.WaitForInteractiveAsync(page);
        var main = page.Locator(".mud-main-content");
        var before = (await main.BoundingBoxAsync())!;
        await page.Locator(".mud-drawer").HoverAsync();
        await Assertions.Expect(page.Locator(".mud-drawer")).ToHaveClassAsync(new Regex("mud-drawer--open"));
        // It widens (animated) to show the pages' names.
        await page.WaitForFunctionAsync("() => document.querySelector('.mud-drawer').getBoundingClientRect().width > 150");
        var after = (await main.BoundingBoxAsync())!;
        Assert.Equal(before.X, after.X);
        Assert.Equal(before.Width, after.Width);
        await page.ScreenshotAsync(new() { Path = Shot("menu-over-page.png") });
        await page.Mouse.MoveAsync(900, 500);

        // Tabbing reaches the page's buttons, each drawn with a focus ring.
        string? outline = null;
        for (var i = 0; i < 30 && outline is null; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            outline = await page.EvaluateAsync<string?>(
                "() => { const e = document.activeElement; if (!e || !e.closest('.mud-main-content') || !e.matches('button, a')) return null; const s = getComputedStyle(e); return s.outlineStyle + ' ' + s.outlineWidth; }");
        }
        Assert.Equal("solid 3px", outline);
        await page.ScreenshotAsync(new() { Path = Shot("keyboard-focus.png") });

        await page.GetByText("Import TensorBoard logs").ClickAsync();
        var chooser = await page.RunAndWaitForFileChooserAsync(() => page.GetByText("Choose event files").ClickAsync());
        await chooser.SetFilesAsync(new FilePayload { Name = "events.out.tfevents.1.host", MimeType = "application/octet-stream", Buffer = [1, 2, 3, 4, 5, 6] });
        await page.Locator(".mud-dialog :text('events.out.tfevents.1.host (6 B)')").WaitForAsync();
        await Assertions.Expect(page.Locator("[data-test=import-error]")).ToContainTextAsync("Too short to hold an event");
        await Assertions.Expect(page.Locator("[data-test=import-submit]")).ToBeDisabledAsync();
        await page.ScreenshotAsync(new() { Path = Shot("import-refused.png") });
    }

    [Fact]
    public async Task ARunningEpoch_ShowsItsFractionOfTheRun_AndTheQueuedToastCoversNoButton()
    {
        var page = await NewPageAsync();
        await page.GotoAsync("/runs/new");
        await StudioServer.WaitForInteractiveAsync(page);
        foreach (var (field, value) in new[] { ("epochs", "2"), ("batch-size", "32") })
        {
            var input = page.Locator($"input[data-test={field}]");
            await input.FillAsync(value);
            await input.PressAsync("Tab");
        }
        // 3,000 images per class before the long-tail draw: an epoch of several seconds, so the header is seen mid-epoch.
        var cap = page.GetByLabel("Images per class (cap)", new() { Exact = true });
        await cap.FillAsync("3000");
        await cap.PressAsync("Tab");
        await page.Locator("input[data-test=name]").FillAsync("fractional progress");
        await page.Locator("[data-test=queue]").ClickAsync();
        await WaitForLocationAsync(page, @"^/runs/\d+$");
        var toast = page.Locator(".mud-snackbar").First;
        await toast.WaitForAsync();
        var toastBox = (await toast.BoundingBoxAsync())!;
        foreach (var button in await page.Locator(".mud-main-content button:visible, .mud-main-content a.mud-button-root:visible").AllAsync())
        {
            var box = await button.BoundingBoxAsync();
            if (box is null) continue;
            var overlaps = box.X < toastBox.X + toastBox.Width && toastBox.X < box.X + box.Width && box.Y < toastBox.Y + toastBox.Height && toastBox.Y < box.Y + box.Height;
            Assert.False(overlaps, $"the toast at {toastBox.X},{toastBox.Y} covers '{await button.InnerTextAsync()}'");
        }
        await page.ScreenshotAsync(new() { Path = Shot("queued-toast.png") });

        // Within the first epoch the header says which epoch trains and how much of the run is done.
        var progress = page.Locator("[data-test=epoch-progress]");
        await Assertions.Expect(progress).ToHaveTextAsync(PartOfFirstEpoch(), new() { Timeout = 120_000 });
        var bar = await page.Locator(".mud-progress-linear .mud-progress-linear-bar").First.EvaluateAsync<string>("b => b.style.transform");
        Assert.Matches(@"translateX\(-\d+(\.\d+)?%\)", bar);
        Assert.DoesNotContain("-100%", bar, StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = Shot("epoch-progress.png") });
    }

    [GeneratedRegex(@"^epoch 1 of 2 \(([1-9]|[1-4]\d) % of the run\)$")]
    private static partial Regex PartOfFirstEpoch();
}
