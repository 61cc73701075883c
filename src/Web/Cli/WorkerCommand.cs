using System.CommandLine;
using ProCo.Web.Hosting;

namespace ProCo.Web.Cli;

/// <summary><c>proco worker</c>: the job server without the web app, on the same storage, to add capacity.</summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var command = new Command("worker", "Process training jobs from the data folder's storage without serving the web app.");
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            CliConfiguration.Build(parse); // rejects unknown options
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
            {
                Args = parse.UnmatchedTokens.ToArray(),
                ContentRootPath = AppContext.BaseDirectory,
            });
            builder.Services.AddProCoCore();
            builder.Services.AddWorkerLive(builder.Configuration["ProCo:Redis"]);
            builder.Services.AddJobs();
            using var host = builder.Build();
            await host.PrepareDataFolderAsync();
            await host.RunAsync(cancellationToken);
            return 0;
        });
        return command;
    }
}
