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
/// Hangfire's storage (its own SQLite file in the data folder, never the run database; or its own
/// schema in the PostgreSQL database), the training job and what it needs: leases, the batched
/// metric writer, the live broadcaster, the lease monitor.
/// </summary>
public static class JobsServiceCollectionExtensions
{
    /// <summary>Registers storage, run services and, when <paramref name="runServer"/>, a job server with training workers.</summary>
    public static IServiceCollection AddJobs(this IServiceCollection services, bool runServer = true)
    {
        services.AddOptions<JobsOptions>().BindConfiguration(JobsOptions.Section);
        var identity = new WorkerIdentity();
        services.AddSingleton(identity);
        services.AddSingleton<ActiveRuns>();
        services.AddSingleton<RunAttempts>();
        services.AddSingleton<RunFolders>();
        services.AddOptions<TrainingLimitsOptions>().BindConfiguration(TrainingLimitsOptions.Section);
        services.AddSingleton<TrainingLimits>();
        services.AddSingleton<WeightsLibrary>();
        services.AddSingleton<DatasetService>();
        services.AddSingleton<RunService>();
        services.AddSingleton<SweepService>();
        services.AddSingleton<WaitReasons>();
        services.AddSingleton<RunQueries>();
        services.AddSingleton<ImportService>();
        services.AddSingleton<MetricWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<MetricWriter>());
        // A worker has no browsers to tell; the web app registers its hub publisher first (AddLive).
        services.TryAddSingleton<IRunPublisher, NoRunPublisher>();
        services.AddTransient<TrainingJob>();
        services.AddTransient<RunTraining>();

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
    /// on one host without Redis, the follower of runs trained by other processes. Call before <see cref="AddJobs"/>.
    /// </summary>
    public static IServiceCollection AddLive(this IServiceCollection services, string? redis)
    {
        services.AddSingleton<RunWatchers>();
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
        services.AddSingleton<IRunPublisher>(sp => sp.GetRequiredService<HubRunPublisher>());
        services.AddHostedService(sp => sp.GetRequiredService<HubRunPublisher>());
        return services;
    }

    /// <summary>
    /// CPU threads of one training job: <c>ProCo:TrainingThreads</c>, else the cores shared out among
    /// the jobs that may run at once. More threads than cores is never right here: libtorch splits
    /// every operation evenly between its threads and waits for the last, so a thread that loses its
    /// core to another stalls them all (measured: a bf16 step 1.67 s instead of 1.11 s on two cores
    /// when a third thread prepared batches beside it).
    /// </summary>
    public static int TrainingThreads(ProCoOptions options) =>
        Math.Max(1, options.TrainingThreads ?? Environment.ProcessorCount / WorkerDevices.Resolve(options).Slots);
}
