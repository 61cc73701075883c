using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ProCo.Web.Tests;

/// <summary>The real app on a test server, with its own data folder, on the embedded default store (SQLite).</summary>
public class StudioFactory : WebApplicationFactory<Program>
{
    private TestStore? _store;

    /// <summary>The engine runs and jobs are stored in.</summary>
    protected virtual string Engine => "sqlite";

    public TestStore Store => _store ??= new TestStore(Engine);

    public string DataDir => Store.DataDir;

    /// <summary>What points a command-line verb at the same store (beside <c>--ProCo:DataDir</c>).</summary>
    public string[] StoreArgs => Store.Args;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ProCo:DataDir", DataDir);
        foreach (var (key, value) in Store.Settings) builder.UseSetting(key, value);
        builder.UseSetting("ProCo:Jobs:QueuePollSeconds", "0.5");
        builder.UseSetting("ProCo:Jobs:RenewSeconds", "0.5");
        builder.UseEnvironment("Production");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _store?.Dispose();
    }
}

/// <summary>The app without training workers: queued runs stay queued, for tests that look at queueing or input only.</summary>
public sealed class WebOnlyStudioFactory : StudioFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("ProCo:Workers", "0");
    }
}

/// <summary>The same app with runs and jobs in PostgreSQL (a new database on the tests' own server).</summary>
public sealed class PostgresStudioFactory : StudioFactory
{
    protected override string Engine => "postgres";
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
