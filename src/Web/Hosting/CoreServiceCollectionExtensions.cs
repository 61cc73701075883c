using ProCo.Data;
using ProCo.Training.Datasets;

namespace ProCo.Web.Hosting;

/// <summary>Options, data folder, run database and dataset catalog: what every verb needs.</summary>
public static class CoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the data folder, run database and datasets. Everything is resolved from the final
    /// configuration when first needed, so hosts and tests can still add configuration sources.
    /// </summary>
    public static IServiceCollection AddProCoCore(this IServiceCollection services)
    {
        services.AddSingleton(sp => ReadOptions(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton(sp => new DataPaths(sp.GetRequiredService<ProCoOptions>()));
        services.AddSingleton(sp => sp.GetRequiredService<DataPaths>().CreateDatasetCatalog());
        services.AddDbContextFactory<ProCoDbContext>((sp, options) =>
            options.UseRunDatabase(sp.GetRequiredService<DataPaths>().Database));
        return services;
    }

    /// <summary>Binds the ProCo section (defaults where absent).</summary>
    public static ProCoOptions ReadOptions(IConfiguration configuration) =>
        configuration.GetSection(ProCoOptions.Section).Get<ProCoOptions>() ?? new ProCoOptions();
}
