using System.Net;
using Microsoft.Data.Sqlite;

namespace ProCo.Web.Tests;

[Collection(AppHost.Name)]
public class ServeTests : IClassFixture<StudioFactory>
{
    private readonly StudioFactory _factory;

    public ServeTests(StudioFactory factory) => _factory = factory;

    [Fact]
    public async Task Root_ServesTheRunsPage()
    {
        using var client = _factory.CreateClient();
        var response = await client.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<title>Runs · ProCo Studio</title>", html, StringComparison.Ordinal);
        Assert.Contains("No runs yet", html, StringComparison.Ordinal);
        // Without accounts the page says what that means.
        Assert.Contains("Open · this machine only", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/no-such-page")]
    [InlineData("/runs/99999")]
    public async Task AnAddressThatIsNoPage_Answers404_WithTheAppsNotFoundPage(string path)
    {
        using var client = _factory.CreateClient();
        var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("Nothing here", html, StringComparison.Ordinal);
        Assert.Contains("ProCo Studio", html, StringComparison.Ordinal);
        // The API keeps its own answers: no HTML page for an unknown API address or run.
        var api = await client.GetAsync(new Uri("/api/runs/99999", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);
        Assert.DoesNotContain("<html", await api.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task WithoutAccounts_EveryoneIsTheLocalAdmin_AndTokensAreNotOffered()
    {
        using var client = _factory.CreateClient();
        var me = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/me", UriKind.Relative))).RootElement;
        Assert.Equal("local", me.GetProperty("name").GetString());
        Assert.Equal("admin", me.GetProperty("role").GetString());
        Assert.False(me.GetProperty("accountsEnabled").GetBoolean());
        Assert.Equal(HttpStatusCode.Conflict, (await client.GetAsync(new Uri("/api/tokens", UriKind.Relative))).StatusCode);
        // The sign-in page explains instead of asking for a password.
        Assert.Contains("no accounts", await client.GetStringAsync(new Uri("/account/login", UriKind.Relative)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/lib/uPlot.iife.min.js", "uPlot")]
    [InlineData("/lib/signalr.min.js", "signalR")]
    [InlineData("/css/studio.css", "blazor-error-ui")]
    [InlineData("/_content/MudBlazor/MudBlazor.min.css", ".mud-")]
    public async Task StaticAssets_FromNpmAndTheRepository_AreServed(string path, string expected)
    {
        using var client = _factory.CreateClient();
        var body = await client.GetStringAsync(new Uri(path, UriKind.Relative));
        Assert.Contains(expected, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Startup_CreatesTheDataFolderWithMigratedRunDatabaseAndHangfireStorage()
    {
        using var client = _factory.CreateClient();
        await client.GetAsync(new Uri("/", UriKind.Relative));

        var database = Path.Combine(_factory.DataDir, "proco.db");
        Assert.True(File.Exists(database));
        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT MigrationId FROM __EFMigrationsHistory ORDER BY MigrationId";
        var first = (string?)await command.ExecuteScalarAsync();
        Assert.EndsWith("_Initial", first, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_factory.DataDir, "hangfire.db")));
        Assert.True(Directory.Exists(Path.Combine(_factory.DataDir, "runs")));
    }
}
