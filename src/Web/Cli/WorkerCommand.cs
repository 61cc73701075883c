using System.CommandLine;
using ProCo.Web.Hosting;
using ProCo.Web.Runs;

namespace ProCo.Web.Cli;

/// <summary><c>proco worker</c>: the job server without the web app, on the same storage, to add capacity.</summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var devices = new Option<string?>("--devices")
        {
            Description = "Devices to train on, one run each: cuda:0,cuda:1 (default: every CUDA device, else ProCo:Workers CPU slots)",
        };
        var queue = new Option<string?>("--queue") { Description = "Kinds of runs to take: gpu, cpu or gpu,cpu (default: the kinds of its devices)" };
        var command = new Command("worker", "Train queued runs from the shared storage (the data folder, or ProCo:Database, ProCo:Redis and ProCo:ArtifactsDir) without serving the web app.")
        {
            devices, queue,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            CliConfiguration.Build(parse); // rejects unknown options
            var args = CliConfiguration.Switches(parse);
            if (parse.GetValue(devices) is { } d) args = [.. args, $"--ProCo:Devices={d}"];
            if (parse.GetValue(queue) is { } q) args = [.. args, $"--ProCo:Queue={q}"];
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
            {
                Args = args,
                ContentRootPath = AppContext.BaseDirectory,
            });
            builder.Services.AddProCoCore();
            builder.Services.AddWorkerLive(RunServiceCollectionExtensions.ReadOptions(builder.Configuration).Redis);
            builder.Services.AddJobs();
            using var host = builder.Build();
            try
            {
                // The devices and queue are checked before anything starts.
                var offered = host.Services.GetRequiredService<WorkerDevices>();
                await host.PrepareDataFolderAsync();
                Console.WriteLine($"proco worker: {string.Join(", ", offered.Devices)}; takes {string.Join(" and ", offered.Kinds)} runs.");
            }
            catch (StartupRefusedException refused)
            {
                await Console.Error.WriteLineAsync(refused.Message);
                return 2;
            }
            await host.RunAsync(cancellationToken);
            return 0;
        });
        return command;
    }
}
