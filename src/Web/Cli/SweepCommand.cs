using System.CommandLine;
using ProCo.Training.Engine;
using ProCo.Web.Accounts;
using ProCo.Web.Hosting;
using ProCo.Web.Runs;

namespace ProCo.Web.Cli;

/// <summary>
/// <c>proco sweep</c>: a grid or a random search queued into the data folder's run database in one transaction, for the
/// web app's workers (or <c>proco worker</c>) to train, as the new-run form and <c>POST /api/sweeps</c> queue it.
/// </summary>
internal static class SweepCommand
{
    public static Command Create()
    {
        var vary = new Option<string[]>("--vary")
        {
            Description = "FIELD=VALUES, once per field the sweep varies: --vary alpha=0.5,1,2 --vary seed=0,1 (a grid: every combination); " +
                          "with --random also ranges: --vary lr=0.01..0.3 log. Fields: " + string.Join(", ", SweepSpec.Fields.Select(f => f.Name)),
            AllowMultipleArgumentsPerToken = false,
        };
        var random = new Option<bool>("--random") { Description = "Random search: draw --samples configurations from the lists and ranges (each trained once per listed seed)" };
        var samples = new Option<int?>("--samples") { Description = "Random search: configurations to draw (default 8)" };
        var samplerSeed = new Option<int?>("--sampler-seed") { Description = "Random search: seed of the draws (default 0); the same seed and lists give the same runs" };
        var name = new Option<string?>("--name") { Description = "Name of the sweep; each run is named after it and what sets it apart (\"NAME · α 2, seed 1\")" };
        var tags = new Option<string[]>("--tag") { Description = "A tag of every run (repeatable)" };
        var options = new ConfigOptions();
        var command = new Command("sweep", "Queue a grid or a random search of runs (all of them or none) from a preset or the paper's defaults and the given options.");
        foreach (var option in new Option[] { vary, random, samples, samplerSeed, name, tags }) command.Options.Add(option);
        options.AddTo(command);
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var config = options.Build(parse, null, null, null);
            var lists = new Dictionary<string, string>();
            foreach (var item in parse.GetValue(vary) ?? [])
            {
                var (key, values) = item.Split('=', 2) is [var k, var v] ? (k.Trim(), v) : (item, "");
                var field = ConfigSchema.Fields.FirstOrDefault(f => string.Equals(f.Name, key, StringComparison.OrdinalIgnoreCase)
                                                                    || string.Equals(f.Option, key, StringComparison.OrdinalIgnoreCase)
                                                                    || string.Equals(f.Property, key, StringComparison.OrdinalIgnoreCase));
                if (field is null || values.Length == 0)
                {
                    Console.Error.WriteLine($"--vary {item}: give FIELD=VALUES with one of {string.Join(", ", SweepSpec.Fields.Select(f => f.Name))}.");
                    return 2;
                }
                lists[field.Name] = values;
            }
            var isRandom = parse.GetValue(random);
            var spec = new SweepSpec
            {
                Kind = isRandom ? SweepSpec.RandomKind : SweepSpec.GridKind, Lists = lists,
                Samples = isRandom ? parse.GetValue(samples) ?? 8 : null, SamplerSeed = isRandom ? parse.GetValue(samplerSeed) ?? 0 : null,
            };
            var request = new SweepRequest(parse.GetValue(name), parse.GetValue(tags), config, spec);
            var services = new ServiceCollection();
            services.AddSingleton(CliConfiguration.Build(parse));
            services.AddLogging();
            services.AddProCoCore();
            services.AddJobs(runServer: false);
            await using var provider = services.BuildServiceProvider();
            await provider.PrepareDataFolderAsync(cancellationToken);
            var sweeps = provider.GetRequiredService<SweepService>();
            var (plan, errors) = sweeps.Plan(request);
            if (errors.Count > 0)
            {
                foreach (var (key, messages) in errors) Console.Error.WriteLine($"{key}: {messages[0]}");
                Console.Error.WriteLine("Nothing was queued.");
                return 2;
            }
            var result = await sweeps.QueueAsync(request, Permissions.CommandLine, cancellationToken);
            Console.WriteLine($"Sweep {result.Id}: {result.RunIds.Count} run{(result.RunIds.Count == 1 ? "" : "s")} queued " +
                              $"(runs {result.RunIds[0]} to {result.RunIds[^1]}): " + string.Join("; ", plan.Members.Take(3).Select(m => m.Label)) +
                              (plan.Members.Count > 3 ? "; ..." : "") + ". The web app's workers (or proco worker) train them.");
            return 0;
        });
        return command;
    }
}
