using Microsoft.Playwright;
using ProCo.Tests;
using Xunit.Abstractions;

namespace ProCo.Browser.Tests;

/// <summary>The Datasets page in Chromium: an admin registers a folder of JPEG and PNG files, reads its splits and class profile, and finds its bad files.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed class DatasetsBrowserTests(StudioServer server, ITestOutputHelper output) : BrowserTest(server, output), IDisposable
{
    private readonly string _images = Path.Combine(Path.GetTempPath(), "proco-browser-images-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_images)) Directory.Delete(_images, recursive: true);
    }

    [Fact]
    public async Task AnAdminRegistersAFolder_SeesItsSplitsAndProfile_AndDecodingListsTheBadFiles()
    {
        var tree = ImageTrees.SplitFolders(Path.Combine(_images, "flowers"), [40, 12, 3], 2);
        var page = await NewPageAsync();
        await page.GotoAsync("/datasets");
        await page.Locator("[data-test=register]").WaitForAsync();
        await StudioServer.WaitForInteractiveAsync(page);
        Assert.Contains("fashion-mnist", await page.Locator("[data-test=builtin-datasets]").InnerTextAsync(), StringComparison.Ordinal);

        // A relative path is refused on its field.
        await page.Locator("input[data-test=name]").FillAsync("flowers");
        await page.Locator("input[data-test=root]").FillAsync("flowers");
        await page.Locator("input[data-test=root]").PressAsync("Tab");
        await page.Locator("[data-test=register-button]").ClickAsync();
        await page.GetByText("absolute folder path").WaitForAsync();

        await page.Locator("input[data-test=root]").FillAsync(tree);
        await page.Locator("input[data-test=root]").PressAsync("Tab");
        await page.Locator("[data-test=register-button]").ClickAsync();
        var card = page.Locator("[data-test=dataset][data-name=flowers]");
        await card.WaitForAsync();
        Assert.Equal("57", (await card.Locator("tr[data-split=train] td").Nth(1).InnerTextAsync()).Trim());
        Assert.Equal("6", (await card.Locator("tr[data-split=test] td").Nth(1).InnerTextAsync()).Trim());
        var profile = card.Locator("svg[data-test=class-profile]");
        Assert.Equal(3, await profile.Locator("rect[fill='var(--mud-palette-primary)']").CountAsync());
        Assert.Contains("3 classes", await profile.GetAttributeAsync("aria-label") ?? "", StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = Shot("datasets-registered.png"), FullPage = true });

        await card.Locator("[data-test=verify]").ClickAsync();
        var bad = card.Locator("[data-test=unreadable]");
        await bad.WaitForAsync(new() { Timeout = 60_000 });
        var text = await bad.InnerTextAsync();
        Assert.Contains(Path.Combine(tree, "train", "apple", "zz_corrupt.jpg"), text, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(tree, "train", "birch", "zz_truncated.jpg") + ": truncated", text, StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = Shot("datasets-verified.png"), FullPage = true });

        // The new-run form offers it, and says where to register a preset's dataset that is not there.
        await page.GotoAsync("/runs/new");
        await page.GetByText("Queue a grid").WaitForAsync();
        await StudioServer.WaitForInteractiveAsync(page);
        await page.Locator("[data-test=dataset]").ClickAsync();
        await page.GetByText("flowers · folder").WaitForAsync();
        await page.Keyboard.PressAsync("Escape");
        await page.Locator("[data-test=preset]").ClickAsync();
        await page.GetByText("ImageNet-LT, ResNet-50, 90 epochs").ClickAsync();
        await page.Locator("[data-test=dataset-unregistered]").WaitForAsync();
        await page.ScreenshotAsync(new() { Path = Shot("new-run-imagenet-preset.png"), FullPage = true });

        using var http = Server.Http();
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await http.DeleteAsync(new Uri("/api/datasets/flowers", UriKind.Relative))).StatusCode);
    }
}
