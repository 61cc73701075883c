using System.CommandLine;
using System.Globalization;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;

namespace ProCo.Web.Cli;

/// <summary><c>proco train DATASET IMBALANCE EPOCHS [options]</c>: headless training, like the public script.</summary>
internal static class TrainCommand
{
    public static Command Create() => Create(out _);

    /// <summary>The configuration the train verb would use for these arguments (no --resume).</summary>
    internal static TrainingConfig ConfigFor(params string[] args)
    {
        var command = Create(out var config);
        return config(command.Parse(args));
    }

    private static Command Create(out Func<ParseResult, TrainingConfig> config)
    {
        var dataset = new Argument<string?>("dataset") { Description = "Dataset: " + string.Join(", ", DatasetCatalog.Keys), Arity = ArgumentArity.ZeroOrOne };
        var imbalance = new Argument<double?>("imbalance") { Description = "Imbalance factor: 0.01 (or 100) for imbalance 100", Arity = ArgumentArity.ZeroOrOne };
        var epochs = new Argument<int?>("epochs") { Description = "Epochs (200 as published)", Arity = ArgumentArity.ZeroOrOne };
        var output = new Option<string?>("--out") { Description = "Output folder: config.json, metrics, vectors.jsonl, events.log, checkpoints" };
        var resume = new Option<string?>("--resume") { Description = "Resume from a checkpoint (its config is used)" };
        var csv = new Option<bool>("--csv") { Description = "Write metrics.csv instead of metrics.jsonl" };
        var options = new ConfigOptions();
        var command = new Command("train", "Train a model headless (positional form of the public script: proco train cifar100 0.01 200).");
        command.Arguments.Add(dataset);
        command.Arguments.Add(imbalance);
        command.Arguments.Add(epochs);
        command.Options.Add(output);
        command.Options.Add(resume);
        command.Options.Add(csv);
        options.AddTo(command);
        command.TreatUnmatchedTokensAsErrors = false;
        Func<ParseResult, TrainingConfig> build = parse => options.Build(parse, parse.GetValue(dataset), parse.GetValue(imbalance), parse.GetValue(epochs));
        config = build;
        command.SetAction((parse, cancellationToken) =>
        {
            var resumePath = parse.GetValue(resume);
            var config = resumePath is not null ? CheckpointFile.ReadMeta(resumePath).Config : build(parse);
            var catalog = CliConfiguration.Paths(parse).CreateDatasetCatalog();
            return Task.FromResult(Run(config, parse.GetValue(output), resumePath, parse.GetValue(csv), catalog, Console.Out, cancellationToken));
        });
        return command;
    }

    public static int Run(TrainingConfig config, string? outputDir, string? resume, bool csv, DatasetCatalog catalog, TextWriter console,
        CancellationToken cancellationToken)
    {
        if (!ConfigOptions.ReportErrors(config, console)) return 2;
        config = config.Validated();
        var folder = Path.GetFullPath(outputDir ?? Path.Combine("runs", string.Create(CultureInfo.InvariantCulture,
            $"{config.Method}_{config.Dataset}_imb{config.ImbalanceFactor}_e{config.Epochs}_{DateTime.Now:yyyyMMdd-HHmmss}")));
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJson());

        TrainingData data;
        try
        {
            data = TrainingData.Load(config, catalog);
        }
        catch (Exception e) when (e is DatasetMissingException or InvalidDataException or FileNotFoundException or ArgumentException)
        {
            console.WriteLine(e.Message);
            return 1;
        }

        using var sink = new FileMetricSink(folder, csv, console);
        using var trainer = new Trainer(config, data) { InitialWeightsPath = config.InitFrom };
        console.WriteLine($"{trainer.Spec.Describe()}; {config.Method}; output in {folder}");
        // Ctrl+C stops at the next step with a checkpoint, like a cancel from the web app.
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            interrupt.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            var result = trainer.Run(sink, folder, resume, interrupt.Token);
            console.WriteLine(result.Outcome == TrainingOutcome.Completed
                ? string.Create(CultureInfo.InvariantCulture, $"done: best top-1 {result.BestTop1:F2}; checkpoints in {folder}")
                : $"stopped after {result.CompletedEpochs} epochs; resume with: proco train --resume {Path.Combine(folder, "last.ckpt")} --out {folder}");
            return result.Outcome == TrainingOutcome.Completed ? 0 : 130;
        }
        catch (Exception e) when (e is UnreadableImageException or InvalidDataException)
        {
            // A file the data needs cannot be read (unreadable images set to fail the run): its path, not a stack trace.
            console.WriteLine($"Training stopped: {e.Message} Checkpoints so far are in {folder}.");
            return 1;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
