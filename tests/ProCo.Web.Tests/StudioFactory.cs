using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ProCo.Web.Tests;

/// <summary>The real app on a test server, with its own data folder.</summary>
public class StudioFactory : WebApplicationFactory<Program>
{
    public string DataDir { get; } = Path.Combine(Path.GetTempPath(), "proco-web-tests-" + Guid.NewGuid().ToString("N"));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ProCo:DataDir", DataDir);
        builder.UseSetting("ProCo:Jobs:QueuePollSeconds", "0.5");
        builder.UseSetting("ProCo:Jobs:RenewSeconds", "0.5");
        builder.UseEnvironment("Production");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// Test classes that host the app in this process run one after another: Hangfire keeps
/// process-wide state (its configuration and job activator) that two live hosts would share.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AppHost
{
    public const string Name = "app host";
}
