using Hangfire;
using Hangfire.Storage.SQLite;

namespace ProCo.Web.Hosting;

/// <summary>Hangfire with its own SQLite file in the data folder (never the run database).</summary>
public static class JobsServiceCollectionExtensions
{
    /// <summary>Queue that CPU training jobs go to.</summary>
    public const string CpuQueue = "cpu";

    /// <summary>Registers Hangfire storage and, when <paramref name="runServer"/>, a job server.</summary>
    public static IServiceCollection AddJobs(this IServiceCollection services, bool runServer = true)
    {
        services.AddHangfire((sp, config) => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseSQLiteStorage(sp.GetRequiredService<DataPaths>().HangfireDatabase, new SQLiteStorageOptions
            {
                // The default 15 s poll delays the start of a queued run for no benefit here.
                QueuePollInterval = TimeSpan.FromSeconds(1),
            }));

        if (runServer)
        {
            services.AddHangfireServer((sp, server) =>
            {
                server.Queues = [CpuQueue];
                server.WorkerCount = Math.Max(1, sp.GetRequiredService<ProCoOptions>().Workers ?? 1);
                server.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
            });
        }
        return services;
    }
}
