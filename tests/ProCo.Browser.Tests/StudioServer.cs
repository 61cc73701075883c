using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using ProCo.Tests;
using ProCo.Web.Accounts;
using ProCo.Web.Hosting;

namespace ProCo.Browser.Tests;

/// <summary>
/// The real app on Kestrel (127.0.0.1, a free port) with its own data folder and accounts on, and
/// Debian's Chromium driven by Playwright. Pages start signed in as an admin (the sign-in form is
/// filled once, its cookie reused); the REST helpers use an admin's API token.
/// </summary>
public sealed class StudioServer : IAsyncLifetime
{
    /// <summary>Chromium from Debian's package; Playwright never downloads a browser of its own.</summary>
    public const string ChromiumPath = TestSurface.ChromiumPath;

    private WebApplication? _app;
    private IPlaywright? _playwright;
    private string? _adminSession;
    private string _adminToken = "";

    /// <summary>The password of every account the tests create.</summary>
    public const string Password = "browser test password";

    public string DataDir { get; } = Path.Combine(Path.GetTempPath(), "proco-browser-" + Guid.NewGuid().ToString("N"));
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The paper authors' logs (see ReferenceFolders).</summary>
    public static string ReferenceLogs => ProCo.Tests.ReferenceFolders.ReferenceLogs;

    /// <summary>Screenshots land here (kept as test output).</summary>
    public static string ScreenshotDir
    {
        get
        {
            var dir = Path.Combine(AppContext.BaseDirectory, "screenshots");
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's 'chromium' package (.ci/run does).");

        // The paper's logs are found where the program ships them, unless PROCO_REFERENCE_LOGS names others.
        string[] logs = ProCo.Tests.ReferenceFolders.ReferenceLogsOverridden ? [$"--ProCo:ReferenceLogsDir={ReferenceLogs}"] : [];
        _app = await WebApp.BuildAsync(["--urls", "http://127.0.0.1:0", $"--ProCo:DataDir={DataDir}",
            "--ProCo:Jobs:QueuePollSeconds=0.5", "--ProCo:Jobs:RenewSeconds=0.5", "--Logging:LogLevel:Default=Warning",
            "--environment", "Development", .. logs, "--ProCo:Auth:Enabled=true",
            // Downloads go to a loopback port nobody listens on: the page's download fails fast and says why.
            $"--ProCo:DownloadMirror=http://127.0.0.1:{FreePort()}/"]);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/");

        _playwright = await Playwright.CreateAsync();
        Browser = await TestSurface.LaunchChromiumAsync(_playwright);

        _adminToken = await CreateAccountAsync("admin", StudioRoles.Admin);
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        await SignInAsync(page, "admin");
        _adminSession = await context.StorageStateAsync();
        await context.CloseAsync();
    }

    /// <summary>A loopback port nobody listens on now (a server of a test's own, or one that must refuse).</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Creates an account with <see cref="Password"/> and returns an API token for it.</summary>
    public async Task<string> CreateAccountAsync(string name, string role)
    {
        await using var scope = _app!.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        if (await accounts.AddAsync(name, Password, role) is { } error) throw new InvalidOperationException(error);
        var (token, _, tokenError) = await accounts.CreateTokenAsync(name, "browser tests", null);
        return token ?? throw new InvalidOperationException(tokenError);
    }

    /// <summary>Fills and sends the sign-in form; returns once the runs page is shown.</summary>
    public static async Task SignInAsync(IPage page, string name)
    {
        await page.GotoAsync("/account/login");
        await page.FillAsync("#username", name);
        await page.FillAsync("#password", Password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync("**/runs");
    }

    /// <summary>An HTTP client for the REST API of the same app, as an admin (or with the token given).</summary>
    public HttpClient Http(string? token = null)
    {
        var http = new HttpClient { BaseAddress = BaseAddress };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token ?? _adminToken);
        return http;
    }

    /// <summary>A fresh page at laptop size, signed in as an admin (or not signed in at all).</summary>
    public async Task<IPage> NewPageAsync(int width = 1366, int height = 850, bool signedIn = true)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            StorageState = signedIn ? _adminSession : null,
            ViewportSize = new ViewportSize { Width = width, Height = height },
            AcceptDownloads = true,
        });
        await TestSurface.InstallAsync(context);
        return await context.NewPageAsync();
    }

    /// <summary>
    /// Waits until the Blazor circuit has rendered the page interactively: before that the page is
    /// prerendered markup whose buttons do nothing.
    /// </summary>
    public static Task WaitForInteractiveAsync(IPage page) =>
        page.Locator("[data-interactive=true]").WaitForAsync(new() { Timeout = 30_000 });

    public async Task DisposeAsync()
    {
        if (_playwright is not null)
        {
            await Browser.CloseAsync();
            _playwright.Dispose();
        }
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// One app and one browser for every browser test: Hangfire keeps some process-wide state, so two
/// hosts in one test process must not run side by side.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BrowserTestGroup : ICollectionFixture<StudioServer>
{
    public const string Name = "browser";
}
