using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ProCo.Browser.Tests;

/// <summary>A run's console and notes in Chromium.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed class RunPageBrowserTests(StudioServer server, ITestOutputHelper output) : BrowserTest(server, output)
{
    [Fact]
    public async Task TheConsoleStreamsProgressLinesLive_OldestFirst_AndNotesAreMarkdownThatStays()
    {
        using var http = Server.Http();
        var id = await Runs.CreateAsync(http, Runs.Tiny(epochs: 3, maxPerClass: 200), "console and notes");
        var page = await NewPageAsync();
        await page.GotoAsync($"/runs/{id}");
        await StudioServer.WaitForInteractiveAsync(page);
        var console = page.Locator("[data-test=console]");

        // Lines arrive while it trains, without a reload: the epochs' summaries among them.
        await Assertions.Expect(console).ToContainTextAsync("epoch 1/3 done in", new() { Timeout = 120_000 });
        await Runs.WaitForStatusAsync(http, id, "Succeeded", TimeSpan.FromSeconds(300));
        await Assertions.Expect(console).ToContainTextAsync("Training finished.", new() { Timeout = 15_000 });
        var lines = await console.Locator(".studio-console-line").AllInnerTextsAsync();
        Assert.Contains("Queued.", lines[0], StringComparison.Ordinal);
        Assert.Contains("Training finished.", lines[^1], StringComparison.Ordinal);
        var epochLines = lines.Where(l => l.Contains(" done in ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, epochLines.Length);
        Assert.Contains("test top-1", epochLines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.Contains("epoch 1/3 · step 1/", StringComparison.Ordinal));
        // Scrolled to the newest line.
        var atEnd = await console.EvaluateAsync<bool>("e => e.scrollHeight - e.scrollTop - e.clientHeight < 2");
        Assert.True(atEnd);
        // Only warnings and errors, when asked: this run has none.
        await page.Locator("[data-test=console-problems] input, input[data-test=console-problems]").CheckAsync();
        await Assertions.Expect(console.Locator(".studio-console-line")).ToHaveCountAsync(0);
        await page.Locator("[data-test=console-problems] input, input[data-test=console-problems]").UncheckAsync();

        // Notes: Markdown rendered, raw HTML shown as text, kept across a reload and in the API.
        await page.Locator("[data-test=edit-notes]").ClickAsync();
        var notes = "Tried **α = 2**: few-shot up.\n\n- next: [the paper's τ](https://arxiv.org/abs/2403.06726)\n\n<img src=x onerror=alert(1)>";
        await page.Locator("[data-test=notes-input] textarea, textarea[data-test=notes-input]").FillAsync(notes);
        await page.Locator("[data-test=save-notes]").ClickAsync();
        var shown = page.Locator("[data-test=notes-text]");
        await Assertions.Expect(shown.Locator("strong")).ToHaveTextAsync("α = 2");
        await Assertions.Expect(shown.Locator("a")).ToHaveAttributeAsync("href", "https://arxiv.org/abs/2403.06726");
        Assert.Equal(0, await shown.Locator("img").CountAsync());
        await Assertions.Expect(shown).ToContainTextAsync("<img src=x onerror=alert(1)>");
        await page.ScreenshotAsync(new() { Path = Shot("run-console-notes.png"), FullPage = true });
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("[data-test=notes-text] strong")).ToHaveTextAsync("α = 2");
        var detail = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}", UriKind.Relative))).RootElement;
        Assert.Equal(notes, detail.GetProperty("notes").GetString());
    }
}
