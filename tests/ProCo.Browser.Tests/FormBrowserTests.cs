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
    }
}
