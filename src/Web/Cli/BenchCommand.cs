using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ProCo.Training.Augment;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;
using ProCo.Web.Hosting;
using TorchSharp;

namespace ProCo.Web.Cli;

/// <summary><c>proco bench</c>: training and augmentation throughput for a configuration and device.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var dataset = new Argument<string?>("dataset") { Description = "Dataset: " + string.Join(", ", DatasetCatalog.Keys), Arity = ArgumentArity.ZeroOrOne };
        var steps = new Option<int>("--steps") { Description = "Timed training steps (after one warm-up step)", DefaultValueFactory = _ => 3 };
        var options = new ConfigOptions();
        var command = new Command("bench", "Measure training images/second and augmentation images/second.");
        command.Arguments.Add(dataset);
        command.Options.Add(steps);
        options.AddTo(command);
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parse =>
        {
            var config = options.Build(parse, parse.GetValue(dataset), null, null);
            var catalog = CliConfiguration.Paths(parse).CreateDatasetCatalog();
            return Run(config, parse.GetValue(steps), catalog, Console.Out);
        });
        return command;
    }

    public static int Run(TrainingConfig config, int steps, DatasetCatalog catalog, TextWriter output)
    {
        var errors = config.Validate();
        if (errors.Count > 0)
        {
            foreach (var (field, message) in errors) output.WriteLine($"{field}: {message}");
            return 2;
        }
        config = config.Validated();
        var data = BenchData(config, catalog, output);
        // Enough epochs for the timed steps; the schedule does not change the cost of a step.
        var stepsPerEpoch = data.Train.Count / config.BatchSize;
        config = config with { Epochs = (steps + 1 + stepsPerEpoch - 1) / stepsPerEpoch + 1, WarmupEpochs = 1 };
        output.WriteLine($"{config.Method} on {config.Device}, {torch.get_num_threads()} CPU threads, batch {config.BatchSize}, " +
                         $"resnet{config.Depth} x{config.Width}, {data.Train.Channels}x{data.Train.Height}x{data.Train.Width} images");

        // Augmentation alone: the three views of one batch.
        var info = KnownDatasets.Get(config.Dataset);
        var device = new torch.Device(config.Device);
        using var augmenter = new Augmenter(info.Mean, info.Std, device);
        using (var scope = torch.NewDisposeScope())
        {
            var batch = torch.tensor(data.Train.Pixels.AsSpan(0, config.BatchSize * data.Train.Channels * data.Train.Height * data.Train.Width).ToArray(),
                [config.BatchSize, data.Train.Channels, data.Train.Height, data.Train.Width], torch.ScalarType.Byte).to(device);
            var random = new Random(1);
            var generator = new torch.Generator(1);
            augmenter.RegularView(batch, random, generator);
            var watch = Stopwatch.StartNew();
            var rounds = 0;
            while (watch.Elapsed < TimeSpan.FromSeconds(3) || rounds < 2)
            {
                using var inner = torch.NewDisposeScope();
                augmenter.RegularView(batch, random, generator);
                augmenter.ContrastiveView(batch, random, generator);
                augmenter.ContrastiveView(batch, random, generator).sum().item<float>();
                rounds++;
            }
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"augmentation: {rounds * config.BatchSize / watch.Elapsed.TotalSeconds:F0} images/s (3 views each; {watch.Elapsed.TotalMilliseconds / rounds:F0} ms per batch)"));
        }

        // Training steps: forward, loss, backward, update, as in a real run.
        using var trainer = new Trainer(config, data);
        var sink = new TimingSink(steps + 1);
        var dir = Path.Combine(Path.GetTempPath(), $"proco-bench-{Environment.ProcessId}");
        try
        {
            using var stop = new CancellationTokenSource();
            sink.Done = stop.Cancel;
            trainer.Run(sink, dir, null, stop.Token);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        var timed = sink.StepTimes.Skip(1).ToArray();
        var mean1 = timed.Average();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"training: {config.BatchSize / mean1:F1} images/s ({mean1:F2} s per step of {config.BatchSize} images, mean of {timed.Length} after 1 warm-up)"));
        return 0;
    }

    private static TrainingData BenchData(TrainingConfig config, DatasetCatalog catalog, TextWriter output)
    {
        try
        {
            return TrainingData.Load(config, catalog);
        }
        catch (DatasetMissingException)
        {
            // Throughput does not depend on pixel values: random images of the dataset's shape.
            output.WriteLine($"{config.Dataset} is not on disk; timing with random images of its shape.");
            var info = KnownDatasets.Get(config.Dataset);
            var (channels, size, classes) = (info.Channels, info.Size, info.NumClasses);
            var count = Math.Max(config.BatchSize * 2, classes * 4);
            var pixels = new byte[count * channels * size * size];
            new Random(1).NextBytes(pixels);
            var labels = Enumerable.Range(0, count).Select(i => (long)(i % classes)).ToArray();
            var set = new ImageDataset(config.Dataset, pixels, labels, channels, size, size, info.ClassNames);
            return new TrainingData(set, set);
        }
    }

    private sealed class TimingSink(int wanted) : IMetricSink
    {
        private readonly Stopwatch _watch = Stopwatch.StartNew();
        public List<double> StepTimes { get; } = [];
        public Action? Done { get; set; }

        public void Step(StepReport report)
        {
            StepTimes.Add(_watch.Elapsed.TotalSeconds);
            _watch.Restart();
            if (StepTimes.Count >= wanted) Done?.Invoke();
        }

        public void Epoch(EpochReport report) => _watch.Restart();
        public void Checkpoint(CheckpointReport report) => _watch.Restart();
        public void Log(string level, string message) { }
        public void Flush() { }
    }
}
