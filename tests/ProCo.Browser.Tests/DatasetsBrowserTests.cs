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

    [Fact]
    public async Task TheBuiltInFashionMnist_ShowsItsCountsAndTheLongTailARunTrainsOn_AndAMissingCifarHasADownloadThatSaysWhyItStopped()
    {
        var page = await NewPageAsync();
        await page.GotoAsync("/datasets");
        await StudioServer.WaitForInteractiveAsync(page);
        // Counted from its label files: Debian's Fashion-MNIST has 6,000 training and 1,000 test images per class.
        var fashion = page.Locator("[data-test=builtin][data-name=fashion-mnist]");
        await Assertions.Expect(fashion.Locator("[data-test=builtin-counts]")).ToHaveTextAsync("60,000 train · 10,000 test · 10 classes", new() { Timeout = 30_000 });
        // The subset a run trains on, as the public code draws it: 6,000 down to 60 at imbalance 100.
        var expected = ProCo.Training.Datasets.LongTail.Counts(6000, 10, 0.01, ProCo.Training.Datasets.ImbalanceProfile.Exponential);
        var summary = page.Locator("[data-test=profile-summary]");
        await Assertions.Expect(summary).ToContainTextAsync($"At imbalance 100 a run on fashion-mnist trains on {expected.Sum():N0} images: 6,000 for the largest class down to 60");
        await Assertions.Expect(page.Locator("[data-test=class-profile]").Last).ToHaveAttributeAsync("aria-label", new System.Text.RegularExpressions.Regex("10 classes from 6,000 to 60"));
        await page.Locator("[data-test=profile-imbalance] .mud-chip", new() { HasTextRegex = new System.Text.RegularExpressions.Regex(@"imbalance 10\b") }).ClickAsync();
        await Assertions.Expect(summary).ToContainTextAsync("down to 600 for the smallest");
        await page.ScreenshotAsync(new() { Path = Shot("datasets-builtin.png"), FullPage = true });

        // CIFAR-10 is not here: Download fetches it in the background (this server's mirror does not answer), and the row says why it stopped.
        var cifar = page.Locator("[data-test=builtin][data-name=cifar10]");
        await cifar.Locator("[data-test=download]").ClickAsync();
        await Assertions.Expect(cifar.Locator("[data-test=download-error]")).ToContainTextAsync("The download stopped: Cannot download http://127.0.0.1:", new() { Timeout = 30_000 });
        await Assertions.Expect(cifar.Locator("[data-test=download-error]")).ToContainTextAsync("cifar-10-python.tar.gz");
        await Assertions.Expect(cifar.Locator("[data-test=download]")).ToBeEnabledAsync();
        await page.ScreenshotAsync(new() { Path = Shot("datasets-download-failed.png"), FullPage = true });
        using var http = Server.Http();
        var state = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/datasets/cifar10/download", UriKind.Relative))).RootElement;
        Assert.False(state.GetProperty("running").GetBoolean());
        Assert.Contains("cifar-10-python.tar.gz", state.GetProperty("error").GetString(), StringComparison.Ordinal);
        // A dataset on disk is not downloaded again.
        var again = await http.PostAsync(new Uri("/api/datasets/fashion-mnist/download", UriKind.Relative), null);
        Assert.Equal(System.Net.HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("already on disk", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
