using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ProCo.Browser.Tests;

/// <summary>
/// A browser test against the shared <see cref="StudioServer"/>. Pages it opens are closed after
/// the test; the last state of each is kept as a screenshot and its address and console lines go to
/// the test's output, so a failure can be read without rerunning it. Runs a test leaves queued or
/// training are cancelled, so the next test finds the worker free. Subclasses carry
/// <c>[Collection(BrowserTestGroup.Name)]</c> (xUnit does not inherit it).
/// </summary>
public abstract class BrowserTest(StudioServer server, ITestOutputHelper output) : IAsyncLifetime
{
    private static int s_sequence;
    private readonly List<(IPage Page, List<string> Console)> _pages = [];

    protected StudioServer Server { get; } = server;

    /// <summary>The test's output: what a test measured, and the last state of its pages.</summary>
    protected ITestOutputHelper Output { get; } = output;

    protected static string Shot(string name) => Path.Combine(StudioServer.ScreenshotDir, name);

    /// <summary>
    /// Waits until the page's address (path and query) matches <paramref name="pattern"/>. Blazor
    /// navigates within the document, and Playwright's WaitForURL can miss such a navigation when
    /// it lands just as the wait begins (seen on a loaded machine), so this asks the page itself.
    /// </summary>
    protected static async Task WaitForLocationAsync(IPage page, string pattern, int timeoutMs = 30_000)
    {
        await page.WaitForFunctionAsync("p => new RegExp(p).test(location.pathname + location.search)", pattern, new() { Timeout = timeoutMs });
    }

    /// <summary>A fresh page at laptop size (or the given one), closed after the test.</summary>
    protected async Task<IPage> NewPageAsync(int width = 1366, int height = 850, bool signedIn = true)
    {
        var page = await Server.NewPageAsync(width, height, signedIn);
        var console = new List<string>();
        page.Console += (_, m) => { lock (console) console.Add($"{m.Type}: {m.Text}"); };
        page.PageError += (_, e) => { lock (console) console.Add($"pageerror: {e}"); };
        _pages.Add((page, console));
        return page;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var (page, console) in _pages)
        {
            if (page.IsClosed) continue;
            var file = Shot($"last-{GetType().Name}-{Interlocked.Increment(ref s_sequence)}.png");
            try
            {
                await page.ScreenshotAsync(new() { Path = file, FullPage = true, Timeout = 10_000 });
                Output.WriteLine($"last state of {page.Url}: {file}");
            }
            catch (PlaywrightException e)
            {
                Output.WriteLine($"no screenshot of {page.Url}: {e.Message}");
            }
            lock (console) foreach (var line in console) Output.WriteLine(line);
            await page.Context.CloseAsync();
        }
        using var http = Server.Http();
        await Runs.CancelUnfinishedAsync(http, TimeSpan.FromSeconds(60));
    }
}
