using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ProCo.Data;
using ProCo.Web.Live;

namespace ProCo.Web.Runs;

/// <summary>
/// The application layer's registration: its options, the data folder, the run database and the run
/// services. A host (the web app, <c>proco worker</c>, a CLI verb, a test) calls these and adds what
/// only it has (Hangfire's server, the hub, authentication); nothing here depends on which host it is.
/// </summary>
public static class RunServiceCollectionExtensions
{
    /// <summary>
    /// The typed options (the <c>ProCo</c> section), the data folder, the run database and the dataset
    /// catalog: what every verb needs. Everything is resolved from the final configuration when first
    /// needed, so hosts and tests can still add configuration sources.
    /// </summary>
    public static IServiceCollection AddProCoCore(this IServiceCollection services)
    {
        services.AddOptions<ProCoOptions>().BindConfiguration(ProCoOptions.Section);
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<ProCoOptions>>().Value);
        services.TryAddSingleton(sp => new DataPaths(sp.GetRequiredService<ProCoOptions>()));
        services.TryAddSingleton(sp => sp.GetRequiredService<DataPaths>().CreateDatasetCatalog());
        services.AddDbContextFactory<ProCoDbContext>((sp, options) =>
            options.UseRunDatabase(sp.GetRequiredService<DataPaths>().Database));
        return services;
    }

    /// <summary>
    /// The run services: queueing runs and sweeps, reading them, the lifecycle of a claimed run and its
    /// training, the metric writer, datasets, imports and the weights library. Hosts without browsers
    /// to tell get a publisher that tells no one; a host with a hub registers its own, before or after.
    /// </summary>
    public static IServiceCollection AddRunServices(this IServiceCollection services)
    {
        services.AddOptions<JobsOptions>().BindConfiguration(JobsOptions.Section);
        services.AddOptions<TrainingLimitsOptions>().BindConfiguration(TrainingLimitsOptions.Section);
        services.TryAddSingleton(new WorkerIdentity());
        services.TryAddSingleton<ActiveRuns>();
        services.TryAddSingleton<RunAttempts>();
        services.TryAddSingleton<RunFolders>();
        services.TryAddSingleton<TrainingLimits>();
        services.TryAddSingleton<WeightsLibrary>();
        services.TryAddSingleton<DatasetService>();
        services.TryAddSingleton<BuiltInDatasets>();
        services.TryAddSingleton<RunService>();
        services.TryAddSingleton<SweepService>();
        services.TryAddSingleton<WaitReasons>();
        services.TryAddSingleton<RunQueries>();
        services.TryAddSingleton<ImportService>();
        services.TryAddSingleton<MetricWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<MetricWriter>());
        services.TryAddSingleton<IRunPublisher, NoRunPublisher>();
        services.TryAddTransient<TrainingJob>();
        services.TryAddTransient<RunTraining>();
        return services;
    }

    /// <summary>The <c>ProCo</c> section as typed options, for a host deciding what to register before its container exists.</summary>
    public static ProCoOptions ReadOptions(IConfiguration configuration) =>
        configuration.GetSection(ProCoOptions.Section).Get<ProCoOptions>() ?? new ProCoOptions();
}
