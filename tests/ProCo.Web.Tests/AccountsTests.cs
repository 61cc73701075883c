using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ProCo.Data;
using ProCo.Web.Accounts;

namespace ProCo.Web.Tests;

/// <summary>The app with accounts on: no training here (web-only), so queued runs stay queued.</summary>
public sealed class AccountsFactory : StudioFactory
{
    public const string Password = "a long enough password";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("ProCo:Auth:Enabled", "true");
        builder.UseSetting("ProCo:Workers", "0");
        builder.UseSetting("ProCo:Live:RevalidateSeconds", "0.5");
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter, ClientAddressFromHeader>());
    }

    /// <summary>The header a test names its client's address with (the test server has no network to give one).</summary>
    public const string AddressHeader = "X-Test-Client-Address";

    private sealed class ClientAddressFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, following) =>
            {
                if (context.Request.Headers.TryGetValue(AddressHeader, out var value) && IPAddress.TryParse(value, out var address))
                    context.Connection.RemoteIpAddress = address;
                return following(context);
            });
            next(app);
        };
    }

    /// <summary>A client without credentials that comes from <paramref name="address"/>.</summary>
    public HttpClient ClientFrom(string address)
    {
        var client = ClientWith(null);
        client.DefaultRequestHeaders.Add(AddressHeader, address);
        return client;
    }

    /// <summary>Creates an account (once) and a fresh token for it.</summary>
    public async Task<string> TokenAsync(string name, string role)
    {
        await using var scope = Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        if (!(await accounts.ListAsync()).Any(a => a.Name == name)) Assert.Null(await accounts.AddAsync(name, Password, role));
        var (token, _, error) = await accounts.CreateTokenAsync(name, "test", null);
        Assert.Null(error);
        return token!;
    }

    public HttpClient ClientWith(string? token)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}

/// <summary>Sign-in, tokens and roles through the real host, with accounts on.</summary>
[Collection(AppHost.Name)]
public sealed class AccountsTests : IClassFixture<AccountsFactory>
{
    private readonly AccountsFactory _factory;

    public AccountsTests(AccountsFactory factory) => _factory = factory;

    private static Uri U(string path) => new(path, UriKind.Relative);

    [Theory]
    [InlineData("GET", "/api/runs")]
    [InlineData("GET", "/api/runs/1")]
    [InlineData("GET", "/api/runs/1/metrics")]
    [InlineData("GET", "/api/runs/export.csv")]
    [InlineData("GET", "/api/config")]
    [InlineData("GET", "/api/checkpoints/1/download")]
    [InlineData("GET", "/api/runs/1/export/tensorboard")]
    [InlineData("GET", "/api/me")]
    [InlineData("GET", "/openapi/v1.json")]
    [InlineData("POST", "/api/runs")]
    [InlineData("POST", "/api/runs/1/cancel")]
    [InlineData("POST", "/api/import")]
    [InlineData("DELETE", "/api/runs/1")]
    [InlineData("PATCH", "/api/runs/1")]
    public async Task Anonymous_ApiRequests_Answer401WithHowToSignIn(string method, string path)
    {
        using var http = _factory.ClientWith(null);
        HttpContent content = path == "/api/import"
            ? new MultipartFormDataContent { { new ByteArrayContent([1, 2, 3]), "files", "run/events.out.tfevents.1" } }
            : new StringContent("{}", null, "application/json");
        using var request = new HttpRequestMessage(new HttpMethod(method), U(path)) { Content = content };
        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("/account/login", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/runs")]
    [InlineData("/runs/new")]
    [InlineData("/compare")]
    [InlineData("/account")]
    [InlineData("/hangfire")]
    public async Task Anonymous_Pages_RedirectToTheSignInPage(string path)
    {
        using var http = _factory.ClientWith(null);
        var response = await http.GetAsync(U(path));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login", response.Headers.Location!.AbsolutePath);
        // The sign-in page and its stylesheet are open.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(U("/account/login"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(U("/css/studio.css"))).StatusCode);
    }

    [Fact]
    public void EveryEndpoint_NeedsTheRoleOfItsAction()
    {
        var endpoints = _factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        string? PolicyOf(string method, string pattern)
        {
            var endpoint = endpoints.Single(e => e.RoutePattern.RawText?.TrimEnd('/') == pattern.TrimEnd('/')
                                                 && (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Contains(method) ?? true));
            var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).OfType<string>().ToList();
            return policies.OrderBy(StudioRoles.Rank).LastOrDefault();
        }
        Assert.Equal("viewer", PolicyOf("GET", "/api/runs/"));
        Assert.Equal("operator", PolicyOf("POST", "/api/runs/"));
        Assert.Equal("operator", PolicyOf("POST", "/api/sweeps/"));
        Assert.Equal("viewer", PolicyOf("GET", "/api/sweeps/{id:long}"));
        Assert.Equal("operator", PolicyOf("PATCH", "/api/runs/{id:long}"));
        Assert.Equal("operator", PolicyOf("POST", "/api/runs/{id:long}/cancel"));
        Assert.Equal("operator", PolicyOf("POST", "/api/runs/{id:long}/resume"));
        Assert.Equal("operator", PolicyOf("POST", "/api/import"));
        Assert.Equal("operator", PolicyOf("POST", "/api/import/reference"));
        Assert.Equal("admin", PolicyOf("DELETE", "/api/runs/{id:long}"));
        Assert.Equal("admin", PolicyOf("GET", "/api/users"));
        Assert.Equal("viewer", PolicyOf("GET", "/hubs/runs"));

        // Nothing else is open: every endpoint either names a policy or is one of the public few.
        string[] open = ["/account/login", "/account/denied", "/account/logout", "/error"];
        var unprotected = endpoints
            .Where(e => !e.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy is not null))
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null || !open.Contains(e.RoutePattern.RawText))
            .Select(e => e.RoutePattern.RawText ?? "")
            // Static files (hashed framework and library assets, and the file fallback) are public by design.
            .Where(p => !p.StartsWith("_content/", StringComparison.Ordinal) && !p.StartsWith("_framework/", StringComparison.Ordinal)
                        && !p.Contains('.', StringComparison.Ordinal) && p != "{**path:file}")
            .ToList();
        Assert.True(unprotected.Count == 0, "Endpoints without a role policy: " + string.Join(", ", unprotected));
    }

    [Fact]
    public async Task Roles_ViewerReads_OperatorQueuesAndCancels_AdminDeletes()
    {
        using var viewer = _factory.ClientWith(await _factory.TokenAsync("vera", StudioRoles.Viewer));
        using var @operator = _factory.ClientWith(await _factory.TokenAsync("otto", StudioRoles.Operator));
        using var admin = _factory.ClientWith(await _factory.TokenAsync("ada", StudioRoles.Admin));

        // A viewer reads but may not queue: 403 saying why, and nothing is stored.
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync(U("/api/runs"))).StatusCode);
        var refused = await viewer.PostAsJsonAsync(U("/api/runs"), new { config = Api.TinyConfig() });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("vera is a viewer", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var id = await Api.CreateRunAsync(@operator, Api.TinyConfig(), "queued by otto");
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync(U($"/api/runs/{id}/cancel"), null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PatchAsJsonAsync(U($"/api/runs/{id}"), new { name = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync(U("/api/import/reference"), null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await @operator.PostAsync(U($"/api/runs/{id}/cancel"), null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await @operator.PatchAsJsonAsync(U($"/api/runs/{id}"), new { name = "renamed by otto" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await @operator.DeleteAsync(U($"/api/runs/{id}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await @operator.GetAsync(U("/api/users"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await @operator.GetAsync(U("/hangfire"))).StatusCode);

        // Each action is in the run's events with who did it.
        var events = await admin.GetFromJsonAsync<JsonElement>(U($"/api/runs/{id}/events"));
        var byUser = events.EnumerateArray().Where(e => e.GetProperty("user").ValueKind == JsonValueKind.String)
            .Select(e => (e.GetProperty("user").GetString(), e.GetProperty("message").GetString())).ToList();
        Assert.Contains(("otto", "Queued."), byUser);
        Assert.Contains(("otto", "Cancelled before it started."), byUser);
        Assert.Contains(("otto", "Edited: name."), byUser);

        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(U("/hangfire"))).StatusCode);
        var users = await admin.GetFromJsonAsync<JsonElement>(U("/api/users"));
        Assert.Contains(users.EnumerateArray(), u => u.GetProperty("name").GetString() == "otto" && u.GetProperty("role").GetString() == "operator");
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync(U($"/api/runs/{id}"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync(U($"/api/runs/{id}"))).StatusCode);
    }

    [Fact]
    public async Task Tokens_Revoked_Expired_OrUnknown_AreRefused_AndARoleChangeAppliesAtOnce()
    {
        var token = await _factory.TokenAsync("tess", StudioRoles.Operator);
        using var http = _factory.ClientWith(token);
        var me = await http.GetFromJsonAsync<JsonElement>(U("/api/me"));
        Assert.Equal("tess", me.GetProperty("name").GetString());
        Assert.Equal("operator", me.GetProperty("role").GetString());
        Assert.True(me.GetProperty("accountsEnabled").GetBoolean());

        // A token cannot make tokens (what it made would outlive its revocation).
        var minted = await http.PostAsJsonAsync(U("/api/tokens"), new { name = "notebook", days = 30 });
        Assert.Equal(HttpStatusCode.Forbidden, minted.StatusCode);
        Assert.Contains("An API token cannot create tokens", await minted.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A second token (made as the Account page makes it) works and is listed without its secret.
        string second;
        long id;
        await using (var scope = _factory.Services.CreateAsyncScope())
        {
            var (made, info, error) = await scope.ServiceProvider.GetRequiredService<AccountService>().CreateTokenAsync("tess", "notebook", TimeSpan.FromDays(30));
            Assert.Null(error);
            (second, id) = (made!, info!.Id);
        }
        Assert.StartsWith("proco_", second, StringComparison.Ordinal);
        using var viaSecond = _factory.ClientWith(second);
        Assert.Equal(HttpStatusCode.OK, (await viaSecond.GetAsync(U("/api/runs"))).StatusCode);
        var listed = await http.GetStringAsync(U("/api/tokens"));
        Assert.Contains("notebook", listed, StringComparison.Ordinal);
        Assert.DoesNotContain(second, listed, StringComparison.Ordinal);

        // The database holds only hashes.
        await using (var scope = _factory.Services.CreateAsyncScope())
        {
            var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<ProCoDbContext>>().CreateDbContextAsync();
            Assert.DoesNotContain(await db.ApiTokens.Select(t => t.Hash).ToListAsync(), h => h == second || h == token);
            // Expire the second token: refused from then on.
            await db.ApiTokens.Where(t => t.Name == "notebook").ExecuteUpdateAsync(s => s.SetProperty(t => t.ExpiresAt, DateTimeOffset.UtcNow.AddSeconds(-1)));
        }
        var expired = await viaSecond.GetAsync(U("/api/runs"));
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Contains("unknown, revoked or expired", await expired.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A role taken away applies to the next request of its tokens.
        await using (var scope = _factory.Services.CreateAsyncScope())
            Assert.Null(await scope.ServiceProvider.GetRequiredService<AccountService>().SetRoleAsync("tess", StudioRoles.Viewer));
        Assert.Equal(HttpStatusCode.Forbidden, (await http.PostAsJsonAsync(U("/api/runs"), new { config = Api.TinyConfig() })).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync(U($"/api/tokens/{id}"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync(U($"/api/tokens/{id}"))).StatusCode);

        using var unknown = _factory.ClientWith("proco_" + new string('A', 43));
        Assert.Equal(HttpStatusCode.Unauthorized, (await unknown.GetAsync(U("/api/runs"))).StatusCode);
        using var garbage = _factory.ClientWith(new string('x', 5000));
        Assert.Equal(HttpStatusCode.Unauthorized, (await garbage.GetAsync(U("/api/runs"))).StatusCode);
    }

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient http, string name, string password, string? returnUrl = null)
    {
        var page = await http.GetStringAsync(U("/account/login"));
        var antiforgery = Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(antiforgery);
        return await http.PostAsync(U("/account/login" + (returnUrl is null ? "" : "?returnUrl=" + Uri.EscapeDataString(returnUrl))), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = antiforgery, ["_handler"] = "login", ["Input.UserName"] = name, ["Input.Password"] = password,
        }));
    }

    [Fact]
    public async Task SignIn_SetsTheCookie_WrongPasswordsLockOut_SignOutEndsIt()
    {
        var token = await _factory.TokenAsync("sam", StudioRoles.Operator);
        using var viaToken = _factory.ClientWith(token);
        using var http = _factory.ClientWith(null);
        Assert.Equal(HttpStatusCode.OK, (await viaToken.GetAsync(U("/api/me"))).StatusCode);

        var wrong = await SignInAsync(http, "sam", "not the password");
        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        Assert.Contains("Wrong account name or password.", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(U("/api/me"))).StatusCode);

        // A return address elsewhere is ignored: after signing in the browser stays on this server.
        var signedIn = await SignInAsync(http, "sam", AccountsFactory.Password, "//evil.example/");
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("/runs", signedIn.Headers.Location!.AbsolutePath);
        Assert.Equal("localhost", signedIn.Headers.Location.Host);
        var me = await http.GetFromJsonAsync<JsonElement>(U("/api/me"));
        Assert.Equal("sam", me.GetProperty("name").GetString());
        var page = await http.GetStringAsync(U("/runs"));
        Assert.Contains("sam", page, StringComparison.Ordinal);
        // Signed in with the password, sam makes tokens.
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync(U("/api/tokens"), new { name = "laptop", days = 7 })).StatusCode);

        // Sign out (the page's form, with its antiforgery token): the cookie no longer works.
        var antiforgery = Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        var signOut = await http.PostAsync(U("/account/logout"), new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = antiforgery }));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(U("/api/me"))).StatusCode);

        // Five wrong passwords from one address pause that address for that name, even with the right password
        // (429 with Retry-After); sam, from another address, still signs in, and sam's tokens keep working.
        using var stranger = _factory.ClientFrom("203.0.113.7");
        for (var i = 0; i < 5; i++)
            Assert.Contains(PasswordSignIn.Wrong, await (await SignInAsync(stranger, "sam", "wrong again")).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var paused = await SignInAsync(stranger, "sam", AccountsFactory.Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, paused.StatusCode);
        Assert.InRange(paused.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 250, 300);
        Assert.Contains("Too many sign-in attempts from this address: try again in", await paused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync(U("/api/me"))).StatusCode);
        using var owner = _factory.ClientFrom("198.51.100.20");
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(owner, "sam", AccountsFactory.Password)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viaToken.GetAsync(U("/api/me"))).StatusCode);

        // A name that does not exist is answered word for word alike, and paused alike.
        using var prober = _factory.ClientFrom("203.0.113.8");
        for (var i = 0; i < 5; i++)
            Assert.Contains(PasswordSignIn.Wrong, await (await SignInAsync(prober, "nobody-by-this-name", "wrong again")).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var unknown = await SignInAsync(prober, "nobody-by-this-name", "wrong again");
        Assert.Equal(HttpStatusCode.TooManyRequests, unknown.StatusCode);
        Assert.Contains("Too many sign-in attempts from this address: try again in", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_IsThrottledPerAddress_AndUnknownNamesCostAPasswordCheckToo()
    {
        await _factory.TokenAsync("tara", StudioRoles.Viewer);
        // Twenty attempts a minute from one address, whatever the names; the next is 429.
        using var sprayer = _factory.ClientFrom("192.0.2.50");
        for (var i = 0; i < 20; i++)
            Assert.Equal(HttpStatusCode.OK, (await SignInAsync(sprayer, $"guess{i}", "password12")).StatusCode);
        var refused = await SignInAsync(sprayer, "tara", AccountsFactory.Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);

        // The answer's time does not tell names that exist from names that do not: both check a password hash
        // (PBKDF2, tens of milliseconds), where an unknown name used to answer in about a millisecond.
        var known = new List<double>();
        var unknown = new List<double>();
        for (var i = 0; i < 6; i++)
        {
            foreach (var (name, times) in new[] { ("tara", known), ($"nobody{i}", unknown) })
            {
                using var client = _factory.ClientFrom($"192.0.2.{(times == known ? 100 : 150) + i}");
                await client.GetStringAsync(U("/account/login"));
                var watch = System.Diagnostics.Stopwatch.StartNew();
                await SignInAsync(client, name, "not her password");
                times.Add(watch.Elapsed.TotalMilliseconds);
            }
        }
        double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        Assert.True(Median(unknown) > 0.4 * Median(known), $"unknown names {Median(unknown):F1} ms, known {Median(known):F1} ms (medians)");
    }

    [Fact]
    public async Task Hub_NeedsAViewer_AndTakesTheTokenFromTheQuery()
    {
        var token = await _factory.TokenAsync("hanna", StudioRoles.Viewer);
        HubConnection Hub(string? accessToken) => new HubConnectionBuilder()
            .WithUrl(new Uri(_factory.Server.BaseAddress, "hubs/runs"), o =>
            {
                o.HttpMessageHandlerFactory = _ => _factory.Server.CreateHandler();
                o.Transports = HttpTransportType.LongPolling;
                if (accessToken is not null) o.AccessTokenProvider = () => Task.FromResult<string?>(accessToken);
            }).Build();

        await using var anonymous = Hub(null);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        using var op = _factory.ClientWith(await _factory.TokenAsync("oscar", StudioRoles.Operator));
        var id = await Api.CreateRunAsync(op, Api.TinyConfig(), "watched");
        await using var viewer = Hub(token);
        await viewer.StartAsync();
        await viewer.InvokeAsync("Subscribe", id);

        // Over WebSockets (as browsers connect) a connection is authenticated once, when it opens. Revoked, the
        // token's open connection is closed (checked every 0.5 s here, 30 s by default), and a subscription asked for
        // after the revocation is refused.
        HubConnection Socket(string accessToken) => new HubConnectionBuilder()
            .WithUrl(new Uri(_factory.Server.BaseAddress, "hubs/runs"), o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
                o.WebSocketFactory = async (context, ct) =>
                {
                    var client = _factory.Server.CreateWebSocketClient();
                    client.ConfigureRequest = request => request.Headers.Authorization = "Bearer " + accessToken;
                    return await client.ConnectAsync(context.Uri, ct);
                };
            }).Build();
        var watching = await _factory.TokenAsync("hugo", StudioRoles.Viewer);
        var subscribing = await _factory.TokenAsync("hugo", StudioRoles.Viewer);
        await using var open = Socket(watching);
        await open.StartAsync();
        await open.InvokeAsync("Subscribe", id);
        await using var late = Socket(subscribing);
        await late.StartAsync();
        var closed = new TaskCompletionSource();
        open.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };
        await using (var scope = _factory.Services.CreateAsyncScope())
        {
            var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
            foreach (var t in await accounts.ListTokensAsync("hugo")) Assert.True(await accounts.RevokeTokenAsync(t.Id, null));
        }
        var refusal = await Assert.ThrowsAnyAsync<Exception>(() => late.InvokeAsync("Subscribe", id));
        Assert.True(refusal is Microsoft.AspNetCore.SignalR.HubException or TaskCanceledException or InvalidOperationException, refusal.ToString());
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(HubConnectionState.Disconnected, open.State);
    }

    [Fact]
    public async Task CommonPasswordsAreRefused_TokensExpireByDefault_AndANewPasswordEndsThem()
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        Assert.True(CommonPasswordValidator.Count >= 10_000, $"{CommonPasswordValidator.Count} passwords on the list");
        foreach (var common in new[] { "1234567890", "password12", "qwertyuiop", "iloveyou2024" })
            Assert.Contains("most common ones", await accounts.AddAsync("casey", common, StudioRoles.Viewer) ?? "accepted", StringComparison.Ordinal);
        Assert.Contains("the account's name", await accounts.AddAsync("casey.lastname", "casey.lastname", StudioRoles.Viewer) ?? "accepted", StringComparison.Ordinal);
        Assert.Null(await accounts.AddAsync("casey", AccountsFactory.Password, StudioRoles.Viewer));

        // A token made without a lifetime lives 90 days; more than ten years is refused.
        var (token, info, _) = await accounts.CreateTokenAsync("casey", "laptop", null);
        Assert.InRange((info!.ExpiresAt!.Value - info.CreatedAt).TotalDays, 89.99, 90.01);
        Assert.Contains("1 to 3650 days", (await accounts.CreateTokenAsync("casey", "forever", TimeSpan.FromDays(4000))).Error, StringComparison.Ordinal);

        // A new password ends the account's tokens at once.
        using var viaToken = _factory.ClientWith(token);
        Assert.Equal(HttpStatusCode.OK, (await viaToken.GetAsync(U("/api/me"))).StatusCode);
        Assert.Null(await accounts.SetPasswordAsync("casey", "another long enough password"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await viaToken.GetAsync(U("/api/me"))).StatusCode);
        Assert.Empty(await accounts.ListTokensAsync("casey"));
    }

    [Fact]
    public async Task ForeignHostNames_AreRefused()
    {
        using var http = _factory.ClientWith(await _factory.TokenAsync("vic", StudioRoles.Viewer));
        using var request = new HttpRequestMessage(HttpMethod.Get, U("/api/runs"));
        request.Headers.Host = "evil.example";
        Assert.Equal(HttpStatusCode.BadRequest, (await http.SendAsync(request)).StatusCode);
        using var local = new HttpRequestMessage(HttpMethod.Get, U("/api/runs"));
        local.Headers.Host = "127.0.0.1:5000";
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(local)).StatusCode);
    }
}

/// <summary>Who can reach the server: loopback may stay open; anything else needs accounts and host names.</summary>
public sealed class ExposureTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "proco-exposure-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000", true)]
    [InlineData("http://127.8.0.1:5000", true)]
    [InlineData("http://localhost:5000", true)]
    [InlineData("http://[::1]:5000", true)]
    [InlineData("http://0.0.0.0:8080", false)]
    [InlineData("http://*:8080", false)]
    [InlineData("http://+:8080", false)]
    [InlineData("http://[::]:8080", false)]
    [InlineData("https://studio.lab.example:443", false)]
    [InlineData("http://192.168.1.20:5000", false)]
    public void IsLoopback(string url, bool loopback) => Assert.Equal(loopback, ProCo.Web.Hosting.Exposure.IsLoopback(url));

    [Fact]
    public void Problem_NamesWhatToConfigure()
    {
        static Microsoft.Extensions.Configuration.IConfiguration Config(params (string, string)[] values) =>
            new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Item1, v.Item2))).Build();
        Assert.Null(ProCo.Web.Hosting.Exposure.Problem(Config(), authEnabled: false));
        Assert.Null(ProCo.Web.Hosting.Exposure.Problem(Config(("urls", "http://127.0.0.1:5000;http://localhost:5001")), authEnabled: false));
        // An IPv4-mapped address passes for loopback but is no address a server binds: refused with the one to use.
        Assert.Equal("ProCo Studio cannot listen on http://[::ffff:127.0.0.1]:5000: an IPv4-mapped IPv6 address is not one a server binds. " +
                     "Use the IPv4 address itself, e.g. --urls http://127.0.0.1:5000.",
            ProCo.Web.Hosting.Exposure.Problem(Config(("urls", "http://[::ffff:127.0.0.1]:5000")), authEnabled: false));
        Assert.Contains("accounts are off", ProCo.Web.Hosting.Exposure.Problem(Config(("http_ports", "8080")), authEnabled: false), StringComparison.Ordinal);
        Assert.Contains("accounts are off", ProCo.Web.Hosting.Exposure.Problem(Config(("Kestrel:Endpoints:Lan:Url", "http://0.0.0.0:80")), authEnabled: false), StringComparison.Ordinal);
        Assert.Contains("AllowedHosts", ProCo.Web.Hosting.Exposure.Problem(Config(("urls", "http://0.0.0.0:8080")), authEnabled: true), StringComparison.Ordinal);
        Assert.Contains("AllowedHosts", ProCo.Web.Hosting.Exposure.Problem(Config(("urls", "http://0.0.0.0:8080"), ("AllowedHosts", "*")), authEnabled: true), StringComparison.Ordinal);
        Assert.Null(ProCo.Web.Hosting.Exposure.Problem(Config(("urls", "http://0.0.0.0:8080"), ("AllowedHosts", "studio.lab.example")), authEnabled: true));
    }

    [Fact]
    public async Task AnAddressTheServerCannotListenOn_EndsItWithExitTwoAndWhatToChange()
    {
        var data = $"--ProCo:DataDir={_dataDir}";
        // A port another program holds.
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;
        var (code, output) = await StudioProcess.RunAsync(null, "serve", "--urls", $"http://127.0.0.1:{port}", data);
        Assert.Equal(2, code);
        // The host logs the bind failure in full; one line says what happened and what to change.
        Assert.Matches($@"ProCo Studio could not listen on http://127\.0\.0\.1:{port}: [^\n]+ Choose another address or port with --urls\.", output);
        // An IPv4-mapped address: refused before anything starts, with the address to use.
        (code, output) = await StudioProcess.RunAsync(null, "serve", "--urls", "http://[::ffff:127.0.0.1]:5000", data);
        Assert.Equal(2, code);
        Assert.Contains("Use the IPv4 address itself, e.g. --urls http://127.0.0.1:5000.", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BeyondLoopback_RefusesToStartWithoutAccounts_ThenServesTheFirstAdminMadeOnTheCommandLine()
    {
        var data = $"--ProCo:DataDir={_dataDir}";
        var (code, output) = await StudioProcess.RunAsync(null, "serve", "--urls", "http://0.0.0.0:0", data);
        Assert.Equal(2, code);
        Assert.Contains("accounts are off", output, StringComparison.Ordinal);
        Assert.Contains("proco user add NAME --admin", output, StringComparison.Ordinal);

        (code, output) = await StudioProcess.RunAsync("short", "user", "add", "root", "--admin", "--password-stdin", data);
        Assert.Equal(1, code);
        Assert.Contains("at least 10 characters", output, StringComparison.Ordinal);
        (code, output) = await StudioProcess.RunAsync("a long enough password", "user", "add", "root", "--admin", "--password-stdin", data);
        Assert.Equal(0, code);
        (code, output) = await StudioProcess.RunAsync(null, "token", "create", "--user", "root", "--name", "ci", data);
        Assert.Equal(0, code);
        var token = output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("proco_", StringComparison.Ordinal));

        await using var web = await StudioProcess.StartServeOnAsync("0.0.0.0", _dataDir, "--ProCo:Workers=0", "--ProCo:Auth:Enabled=true", "--AllowedHosts=127.0.0.1;studio.lab.example");
        using var http = new HttpClient { BaseAddress = web.Address };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(new Uri("/api/runs", UriKind.Relative))).StatusCode);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var me = await http.GetFromJsonAsync<JsonElement>(new Uri("/api/me", UriKind.Relative));
        Assert.Equal("root", me.GetProperty("name").GetString());
        Assert.Equal("admin", me.GetProperty("role").GetString());
        using var other = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/runs", UriKind.Relative));
        other.Headers.Host = "localhost";
        Assert.Equal(HttpStatusCode.BadRequest, (await http.SendAsync(other)).StatusCode);
    }
}
