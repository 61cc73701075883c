using Microsoft.Playwright;

namespace ProCo.Tests;

/// <summary>
/// The browser tests' and the UI benchmark's window onto the page's charts (<c>window.studioTest</c>,
/// from studio-test.js beside this file): served by the test's own browser context at a path the app
/// does not have, and imported into every page it opens. The app's bundle carries none of it.
/// </summary>
public static class TestSurface
{
    private const string Path = "/_studio-test/studio-test.js";

    /// <summary>Debian's Chromium (the package, never a browser a tool downloads).</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>Debian's Chromium, headless, with its own network traffic (updates, sync, first-run) off.</summary>
    public static Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = ChromiumPath,
        Headless = true,
        Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });

    /// <summary>Makes <c>window.studioTest</c> available on every page of <paramref name="context"/> once its document has loaded.</summary>
    public static async Task InstallAsync(IBrowserContext context)
    {
        var module = await File.ReadAllTextAsync(System.IO.Path.Combine(AppContext.BaseDirectory, "studio-test.js"));
        await context.RouteAsync("**" + Path, route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = 200, ContentType = "text/javascript", Body = module,
        }));
        // An init script is the browser's own, outside the page's content security policy; the module
        // it imports comes from the page's origin, so the policy's script-src 'self' admits it.
        await context.AddInitScriptAsync($"addEventListener('DOMContentLoaded', () => import('{Path}'));");
    }
}
