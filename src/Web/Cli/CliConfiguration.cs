namespace ProCo.Web.Cli;

/// <summary>Configuration for command-line verbs, read the way the web host reads it.</summary>
internal static class CliConfiguration
{
    /// <summary>appsettings.json beside the binary, environment variables, then <c>--ProCo:Key=value</c> switches.</summary>
    public static IConfiguration Build(IEnumerable<string> switches) =>
        new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(switches.ToArray())
            .Build();
}
