using System.Diagnostics;
using System.Net;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ProCo.Browser.Tests;

/// <summary>
/// The server going away under an open page and coming back, for real: a `proco serve` process of
/// its own (the shared test server cannot be stopped), killed and started again on the same port
/// and data folder.
/// </summary>
[Collection(BrowserTestGroup.Name)]
public sealed class ReconnectBrowserTests(StudioServer server, ITestOutputHelper output) : BrowserTest(server, output)
{
    [Fact]
    public async Task WhileTheServerIsDown_ABannerSaysSinceWhen_LiveValuesReadAsLastKnown_AndThePageReloadsOnceItIsBack()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "proco-reconnect-" + Guid.NewGuid().ToString("N"));
        var port = StudioServer.FreePort();
        var address = new Uri($"http://127.0.0.1:{port}/");
        var serve = await StartServeAsync(port, dataDir);
        try
        {
            using var http = new HttpClient { BaseAddress = address };
            // Long enough to be training when the server goes.
            var id = await Runs.CreateAsync(http, Runs.Tiny(epochs: 400), "trains through an outage");
            await Runs.WaitForStatusAsync(http, id, "Running", TimeSpan.FromSeconds(60));

            var context = await Server.Browser.NewContextAsync(new() { BaseURL = address.ToString(), ViewportSize = new() { Width = 1366, Height = 850 } });
            var page = await context.NewPageAsync();
            await page.GotoAsync($"/runs/{id}");
            await StudioServer.WaitForInteractiveAsync(page);
            var banner = page.Locator("[data-test=reconnect]");
            await Assertions.Expect(banner).ToBeHiddenAsync();
            await Assertions.Expect(page.Locator("[data-test=last-known]")).ToBeHiddenAsync();

            // The server is killed: the banner says since when, and the status reads as last known.
            serve.Kill(entireProcessTree: true);
            await serve.WaitForExitAsync();
            await Assertions.Expect(banner).ToBeVisibleAsync(new() { Timeout = 20_000 });
            await Assertions.Expect(banner).ToContainTextAsync("The server stopped answering at");
            await Assertions.Expect(banner).ToContainTextAsync("What this page shows is as of then");
            await Assertions.Expect(page.Locator("[data-test=last-known]")).ToBeVisibleAsync();
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.classList.contains('studio-offline')"));
            // The page's own controls cannot be used while its session is gone; the banner's Reload can.
            Assert.True(await page.EvaluateAsync<bool>("() => !!document.querySelector('[data-test=run-name]').closest('[inert]')"));
            Assert.False(await banner.EvaluateAsync<bool>("e => !!e.closest('[inert]')"));
            await Assertions.Expect(banner.GetByRole(AriaRole.Button, new() { Name = "Reload" })).ToBeEnabledAsync();
            // Not the framework's own dialog.
            await Assertions.Expect(page.GetByText("Rejoin failed")).ToHaveCountAsync(0);
            // A banner across the top, not a dialog over the page.
            Assert.InRange(await banner.EvaluateAsync<double>("e => e.getBoundingClientRect().height"), 20, 90);
            await page.ScreenshotAsync(new() { Path = Shot("reconnect-server-down.png") });

            // Back on the same port: the old session is gone, so the page reloads by itself and is live again.
            var marker = await page.EvaluateAsync<double>("() => performance.timeOrigin");
            serve = await StartServeAsync(port, dataDir);
            await page.WaitForFunctionAsync("t => performance.timeOrigin !== t", marker, new() { Timeout = 60_000, PollingInterval = 500 });
            await StudioServer.WaitForInteractiveAsync(page);
            await Assertions.Expect(banner).ToBeHiddenAsync();
            await Assertions.Expect(page.Locator("[data-test=run-name]")).ToHaveTextAsync("trains through an outage");
            Assert.False(await page.EvaluateAsync<bool>("() => document.documentElement.classList.contains('studio-offline')"));
            Assert.False(await page.EvaluateAsync<bool>("() => !!document.querySelector('[data-test=run-name]').closest('[inert]')"));
            await context.CloseAsync();
            await http.PostAsync(new Uri($"/api/runs/{id}/cancel", UriKind.Relative), null);
        }
        finally
        {
            if (!serve.HasExited)
            {
                serve.Kill(entireProcessTree: true);
                await serve.WaitForExitAsync();
            }
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>`proco serve` from this test's output folder, once it answers.</summary>
    private async Task<Process> StartServeAsync(int port, string dataDir)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = AppContext.BaseDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "proco.dll"), "serve", "--urls", $"http://127.0.0.1:{port}", $"--ProCo:DataDir={dataDir}", "--ProCo:Jobs:QueuePollSeconds=0.5" })
            info.ArgumentList.Add(arg);
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException("proco serve exited:\n" + log);
            try
            {
                if ((await http.GetAsync(new Uri("/api/runs", UriKind.Relative))).StatusCode == HttpStatusCode.OK) return process;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        Output.WriteLine(log.ToString());
        throw new TimeoutException("proco serve did not answer within 60 s");
    }
}
