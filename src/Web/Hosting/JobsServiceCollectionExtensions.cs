using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.Storage.SQLite;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ProCo.Data;
using ProCo.Training;
using ProCo.Web.Live;
using ProCo.Web.Runs;

namespace ProCo.Web.Hosting;

/// <summary>
/// What a host adds to the application layer (<see cref="RunServiceCollectionExtensions"/>): Hangfire's
/// storage (its own SQLite file in the data folder, never the run database; or its own schema in the
/// PostgreSQL database) and job server with its training workers, and the live path to browsers.
/// </summary>
public static class JobsServiceCollectionExtensions
{
    /// <summary>Registers the run services, Hangfire's storage and, when <paramref name="runServer"/>, a job server with training workers.</summary>
    public static IServiceCollection AddJobs(this IServiceCollection services, bool runServer = true)
    {
        services.AddRunServices();

        // This host's own storage object, registered before AddHangfire (which would otherwise hand out
        // the process-wide JobStorage.Current, shared by every host in the process, e.g. in tests).
        services.AddSingleton(sp => CreateStorage(sp.GetRequiredService<DataPaths>(), sp.GetRequiredService<IOptions<JobsOptions>>().Value));
        services.AddHangfire(config => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings());

        if (runServer)
        {
            services.AddSingleton(sp => WorkerDevices.Resolve(sp.GetRequiredService<ProCoOptions>()));
            services.AddSingleton<DevicePool>();
            services.AddHostedService<LeaseMonitor>();
            // The job server and the worker's heartbeat (its row in the Workers table).
            services.AddSingleton<JobServerHost>();
            services.AddHostedService(sp => sp.GetRequiredService<JobServerHost>());
        }
        return services;
    }

    /// <summary>Hangfire's storage beside the run database: a SQLite file of its own, or the schema <c>hangfire</c> of the same PostgreSQL database.</summary>
    public static JobStorage CreateStorage(DataPaths paths, JobsOptions jobs)
    {
        // The default 15 s poll delays the start of a queued run for no benefit here.
        var poll = TimeSpan.FromSeconds(jobs.QueuePollSeconds);
        // Our lease detects dead workers; Hangfire must not redeliver a long run meanwhile.
        var invisibility = TimeSpan.FromHours(jobs.InvisibilityTimeoutHours);
        if (paths.Database.Provider == DatabaseProvider.Sqlite)
            return new SQLiteStorage(paths.HangfireDatabase, new SQLiteStorageOptions { QueuePollInterval = poll, InvisibilityTimeout = invisibility });
        var options = new PostgreSqlStorageOptions
        {
            SchemaName = "hangfire",
            PrepareSchemaIfNecessary = true,
            QueuePollInterval = poll,
            InvisibilityTimeout = invisibility,
        };
        return new PostgreSqlStorage(new NpgsqlConnectionFactory(paths.Database.ConnectionString, options), options);
    }

    /// <summary>
    /// The live path of the web app: SignalR (over Redis when <paramref name="redis"/> names a server),
    /// the hub publisher (instead of the worker's no-op one), the watchers of each connection, and,
    /// on one host without Redis, the follower of runs trained by other processes.
    /// </summary>
    public static IServiceCollection AddLive(this IServiceCollection services, string? redis)
    {
        services.AddSingleton<RunWatchers>();
        services.AddSingleton<HubSessions>();
        services.AddHostedService(sp => sp.GetRequiredService<HubSessions>());
        services.AddPublisher(redis);
        if (string.IsNullOrWhiteSpace(redis))
        {
            services.AddSingleton<DatabaseFollower>();
            services.AddHostedService(sp => sp.GetRequiredService<DatabaseFollower>());
        }
        return services;
    }

    /// <summary>
    /// The live path of a <c>proco worker</c>: with Redis, the hub publisher into the backplane, so the
    /// browsers of every web instance stream its runs; without, nothing (the web app follows the database).
    /// </summary>
    public static IServiceCollection AddWorkerLive(this IServiceCollection services, string? redis) =>
        string.IsNullOrWhiteSpace(redis) ? services : services.AddPublisher(redis);

    private static IServiceCollection AddPublisher(this IServiceCollection services, string? redis)
    {
        services.AddOptions<LiveOptions>().BindConfiguration(LiveOptions.Section);
        services.AddSingleton<RunChanges>();
        services.AddStudioSignalR(redis);
        services.AddSingleton<HubRunPublisher>();
        // In place of the application layer's publisher that tells no one, whichever was registered first.
        services.Replace(ServiceDescriptor.Singleton<IRunPublisher>(sp => sp.GetRequiredService<HubRunPublisher>()));
        services.AddHostedService(sp => sp.GetRequiredService<HubRunPublisher>());
        return services;
    }
}
