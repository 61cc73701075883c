using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ProCo.Training;
using ProCo.Training.Augment;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;
using TorchSharp;

namespace ProCo.Web.Cli;

/// <summary>
/// <c>proco bench</c>: training images/second for each precision (median step time after warm-up,
/// with where the step's time goes), augmentation images/second, optionally the same step in
/// Debian's PyTorch in the same invocation (<c>--pytorch</c>), or whole runs to the end with their
/// accuracy (<c>--full-runs</c>).
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var dataset = new Argument<string?>("dataset") { Description = "Dataset: " + string.Join(", ", DatasetCatalog.Keys), Arity = ArgumentArity.ZeroOrOne };
        var steps = new Option<int>("--steps") { Description = "Timed training steps per precision and round, after the warm-up", DefaultValueFactory = _ => 5 };
        // Not --warmup: that is the configuration's warm-up epochs, an option of this verb too.
        var warmup = new Option<int>("--warmup-steps") { Description = "Warm-up steps before timing (oneDNN tunes its kernels on the first ones)", DefaultValueFactory = _ => 2 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds over all precisions (and PyTorch); medians are over every round", DefaultValueFactory = _ => 1 };
        var pytorch = new Option<string?>("--pytorch")
        {
            Description = "Also time PyTorch's equivalent with this script and print the ratios: the training step (scripts/pytorch_proco_step.py), " +
                          "or with --images the public image pipeline (scripts/pytorch_image_pipeline.py, which needs --public-code)",
        };
        var publicCode = new Option<string?>("--public-code") { Description = "With --images --pytorch: a checkout of LeapLabTHU/ProCo (the folder holding ProCo/randaugment.py)" };
        var python = new Option<string>("--python") { Description = "Python with torch for --pytorch", DefaultValueFactory = _ => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3" };
        var fullRuns = new Option<int>("--full-runs") { Description = "Instead of timing steps, train this many seeds to the end for each precision and print time and accuracy" };
        var images = new Option<bool>("--images")
        {
            Description = "Time decoding instead: a registered image dataset's training files (name it as the dataset), or else photo-sized JPEGs " +
                          "written for the purpose; prints decode + augment images/s per thread and the step fed by decoding against random tensors " +
                          "(ResNet-50, batch 32, 224 px unless given)",
        };
        var options = new ConfigOptions();
        var command = new Command("bench",
            "Measure training images/second per precision (fp32, bf16, and fp16 where native; --precision for one), augmentation images/second, " +
            "optionally against PyTorch (--pytorch), or whole runs with their accuracy (--full-runs).");
        command.Arguments.Add(dataset);
        foreach (var option in new Option[] { steps, warmup, rounds, pytorch, python, publicCode, fullRuns, images }) command.Options.Add(option);
        options.AddTo(command);
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, cancellationToken) =>
        {
            try
            {
                return Act(parse, cancellationToken);
            }
            catch (PythonScriptException e)
            {
                // The PyTorch side could not run (Python or a package missing, a script error): its message, not a stack trace.
                Console.Error.WriteLine(e.Message);
                return Task.FromResult(1);
            }
        });
        return command;

        Task<int> Act(ParseResult parse, CancellationToken cancellationToken)
        {
            var config = options.Build(parse, parse.GetValue(dataset), null, null);
            var catalog = CliConfiguration.Paths(parse).CreateDatasetCatalog();
            var precisions = options.Given(parse, nameof(TrainingConfig.Precision)) ? [config.Precision] : DefaultPrecisions(config);
            var settings = new BenchSettings(precisions, Math.Max(1, parse.GetValue(steps)), Math.Max(0, parse.GetValue(warmup)),
                Math.Max(1, parse.GetValue(rounds)), parse.GetValue(pytorch), parse.GetValue(python)!);
            if (parse.GetValue(images) || catalog.Registered(config.Dataset) is not null)
            {
                var script = parse.GetValue(pytorch);
                var checkout = parse.GetValue(publicCode);
                if (script is not null && checkout is null)
                    throw new ArgumentException("--images --pytorch times the public pipeline from a checkout of LeapLabTHU/ProCo: give its folder with --public-code PATH.");
                if (checkout is not null && !File.Exists(Path.Combine(checkout, "ProCo", "randaugment.py")))
                    throw new ArgumentException($"--public-code {checkout} is not a checkout of LeapLabTHU/ProCo: ProCo/randaugment.py is missing there.");
                if (script is not null && !File.Exists(script)) throw new ArgumentException($"--pytorch {script}: no such script.");
                var side = script is null ? null : new ImageBench.PublicPipeline(Path.GetFullPath(script), parse.GetValue(python)!, Path.GetFullPath(checkout!));
                return Task.FromResult(Images(parse, options, config, catalog, parse.GetValue(warmup), Math.Max(1, parse.GetValue(steps)),
                    Math.Max(1, parse.GetValue(rounds)), side));
            }
            var runs = parse.GetValue(fullRuns);
            return Task.FromResult(runs > 0
                ? FullRuns(config, precisions, runs, catalog, Console.Out, cancellationToken)
                : Run(config, settings, catalog, Console.Out));
        }
    }

    // The image benchmark on a registered dataset, or on synthetic photos: ResNet-50 at batch 32 unless the options say otherwise.
    private static int Images(ParseResult parse, ConfigOptions options, TrainingConfig config, DatasetCatalog catalog, int warmup, int steps, int rounds,
        ImageBench.PublicPipeline? side)
    {
        if (!options.Given(parse, nameof(TrainingConfig.Arch))) config = config with { Arch = Training.Models.Architectures.ResNet50 };
        if (!options.Given(parse, nameof(TrainingConfig.BatchSize))) config = config with { BatchSize = 32 };
        if (!options.Given(parse, nameof(TrainingConfig.FeatDim))) config = config with { FeatDim = 1024, UseNorm = true };
        if (!ConfigOptions.ReportErrors(config, Console.Out)) return 2;
        Console.WriteLine(NativeAllocator.Tune());
        if (catalog.Registered(config.Dataset) is { } registered)
            return ImageBench.Run(config, (ImageFileSplit)ImageFileDatasets.Load(registered).Train, warmup, steps, rounds, side, Console.Out);
        var folder = Path.Combine(Path.GetTempPath(), $"proco-bench-images-{Environment.ProcessId}");
        try
        {
            Console.WriteLine($"No image dataset named; writing photo-sized JPEGs to {folder}.");
            var train = ImageBench.Synthetic(folder, config.BatchSize * (warmup + steps + 2), 10);
            return ImageBench.Run(config, train, warmup, steps, rounds, side, Console.Out);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>fp32, and bf16 and fp16 where the device computes them natively (emulated, they take minutes a step; --precision asks for one anyway).</summary>
    private static List<string> DefaultPrecisions(TrainingConfig config)
    {
        var device = new torch.Device(config.ResolvedDevice);
        List<string> precisions = [PrecisionPlan.Fp32];
        if (HardwareSupport.FastBf16(device) is not null) precisions.Add(PrecisionPlan.Bf16);
        if (HardwareSupport.FastFp16(device)) precisions.Add(PrecisionPlan.Fp16);
        return precisions;
    }

    /// <summary>What to time.</summary>
    /// <param name="Precisions">Precisions to time, in order.</param>
    /// <param name="Steps">Timed steps per precision and round.</param>
    /// <param name="Warmup">Untimed steps first.</param>
    /// <param name="Rounds">Rounds over all precisions (and PyTorch).</param>
    /// <param name="PyTorchScript">PyTorch's side, or null.</param>
    /// <param name="Python">The Python interpreter with torch.</param>
    public sealed record BenchSettings(IReadOnlyList<string> Precisions, int Steps, int Warmup, int Rounds, string? PyTorchScript, string Python);

    public static int Run(TrainingConfig config, BenchSettings settings, DatasetCatalog catalog, TextWriter output)
    {
        if (!ConfigOptions.ReportErrors(config, output)) return 2;
        config = config.Validated();
        output.WriteLine(NativeAllocator.Tune());
        var data = BenchData(config, catalog, output);
        var device = new torch.Device(config.ResolvedDevice);
        // Enough epochs for the timed steps; the schedule does not change the cost of a step.
        var stepsPerEpoch = data.Train.Count / config.BatchSize;
        var wanted = settings.Warmup + settings.Steps;
        config = config with { Epochs = (wanted + stepsPerEpoch - 1) / stepsPerEpoch + 1, WarmupEpochs = 1 };
        output.WriteLine($"{config.Method} on {config.ResolvedDevice}, {torch.get_num_threads()} CPU threads, batch {config.BatchSize}, " +
                         $"resnet{config.Depth} x{config.Width}, {data.Train.Channels}x{((ImageDataset)data.Train).Height}x{((ImageDataset)data.Train).Width} images; " +
                         $"auto here is {PrecisionPlan.Resolve(PrecisionPlan.Auto, device)}");
        Augmentation(config, data, device, output);

        var ours = settings.Precisions.ToDictionary(p => p, _ => new List<double>());
        var profiles = settings.Precisions.ToDictionary(p => p, _ => new List<StepProfile>());
        var theirs = new Dictionary<string, List<double>>();
        string? theirVersion = null;
        for (var round = 0; round < settings.Rounds; round++)
        {
            foreach (var precision in settings.Precisions)
            {
                var (times, profile) = TimeSteps(config with { Precision = precision }, data, settings.Warmup, wanted);
                ours[precision].AddRange(times);
                profiles[precision].Add(profile);
            }
            if (settings.PyTorchScript is { } script)
            {
                // PyTorch as the public code runs it (contiguous layout, fp32 and bf16 autocast), and its
                // bf16 autocast in the channels-last layout our CPU steps use.
                var results = PyTorchSteps(script, settings, config, data, PrecisionPlan.Fp32 + "," + PrecisionPlan.Bf16, channelsLast: false)
                    .Concat(PyTorchSteps(script, settings, config, data, PrecisionPlan.Bf16, channelsLast: true));
                foreach (var result in results)
                {
                    theirVersion = result.Version;
                    theirs.TryAdd(result.Label, []);
                    theirs[result.Label].AddRange(result.Times);
                }
            }
        }

        var batch = config.BatchSize;
        foreach (var (precision, times) in ours)
        {
            var median = Statistics.Median(times);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"training {precision,-4}: {batch / median,7:F1} images/s ({median:F3} s per step of {batch} images, median of {times.Count} after {settings.Warmup} warm-up each round)"));
            var phases = StepProfile.Phases.Select(p => (p, Statistics.Median(profiles[precision].Select(r => r.Median(p, settings.Warmup))))).ToList();
            output.WriteLine("    " + string.Join(", ", phases.Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.p} {x.Item2 * 1000:F0} ms"))));
        }
        if (ours.TryGetValue(PrecisionPlan.Fp32, out var fp32) && ours.Count > 1)
        {
            foreach (var (precision, times) in ours.Where(o => o.Key != PrecisionPlan.Fp32))
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{precision} is {Statistics.Median(fp32) / Statistics.Median(times):F2}x fp32"));
        }
        if (theirs.Count > 0)
        {
            foreach (var (precision, times) in theirs)
            {
                var median = Statistics.Median(times);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"PyTorch {theirVersion} {precision}: {batch / median:F1} images/s ({median:F3} s per step, median of {times.Count}; no augmentation)"));
            }
            foreach (var (mine, myTimes) in ours)
            {
                foreach (var (their, theirTimes) in theirs)
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"ratio: ours {mine} (full step) / PyTorch {their}: {Statistics.Median(theirTimes) / Statistics.Median(myTimes):F2}x"));
                }
            }
        }
        return 0;
    }

    /// <summary>Trains <paramref name="seeds"/> seeds of the configuration to the end in each precision; prints wall time, best top-1 and few-shot accuracy, and their means.</summary>
    public static int FullRuns(TrainingConfig config, IReadOnlyList<string> precisions, int seeds, DatasetCatalog catalog, TextWriter output,
        CancellationToken cancellationToken)
    {
        if (!ConfigOptions.ReportErrors(config, output)) return 2;
        config = config.Validated();
        output.WriteLine(NativeAllocator.Tune());
        var data = TrainingData.Load(config, catalog);
        output.WriteLine($"{config.Dataset}, {config.Epochs} epochs, {data.Train.Count} training images, {torch.get_num_threads()} CPU threads; " +
                         $"auto here is {PrecisionPlan.Resolve(PrecisionPlan.Auto, new torch.Device(config.ResolvedDevice))}");
        var summary = new List<(string Precision, double Seconds, double Best, double Few)>();
        foreach (var precision in precisions)
        {
            for (var seed = config.Seed; seed < config.Seed + seeds; seed++)
            {
                var run = config with { Precision = precision, Seed = seed };
                var dir = Path.Combine(Path.GetTempPath(), $"proco-bench-{Environment.ProcessId}-{Guid.NewGuid():N}");
                var sink = new LastEpochSink();
                var watch = Stopwatch.StartNew();
                try
                {
                    using var trainer = new Trainer(run, data);
                    var result = trainer.Run(sink, dir, null, cancellationToken);
                    if (result.Outcome != TrainingOutcome.Completed) return 1;
                    summary.Add((precision, watch.Elapsed.TotalSeconds, result.BestTop1, sink.Few));
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{precision,-4} seed {seed}: {watch.Elapsed.TotalSeconds:F1} s, best top-1 {result.BestTop1:F2}, last few-shot {sink.Few:F2}"));
                }
                finally
                {
                    if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
                }
            }
        }
        foreach (var group in summary.GroupBy(s => s.Precision))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{group.Key,-4} mean of {group.Count()}: {group.Average(g => g.Seconds):F1} s per run, best top-1 {group.Average(g => g.Best):F2}, last few-shot {group.Average(g => g.Few):F2}"));
        }
        return 0;
    }

    // Augmentation alone: the three views of one batch.
    private static void Augmentation(TrainingConfig config, TrainingData data, torch.Device device, TextWriter output)
    {
        var info = KnownDatasets.Get(config.Dataset);
        using var augmenter = new Augmenter(info.Mean, info.Std, device);
        using var scope = torch.NewDisposeScope();
        var batch = torch.tensor(((ImageDataset)data.Train).Pixels.AsSpan(0, config.BatchSize * data.Train.Channels * ((ImageDataset)data.Train).Height * ((ImageDataset)data.Train).Width).ToArray(),
            [config.BatchSize, data.Train.Channels, ((ImageDataset)data.Train).Height, ((ImageDataset)data.Train).Width], torch.ScalarType.Byte).to(device);
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

    // Training steps as in a real run (forward, loss, backward, update); the step times after the warm-up.
    internal static (List<double> Times, StepProfile Profile) TimeSteps(TrainingConfig config, TrainingData data, int warmup, int wanted,
        Func<TrainingConfig, ITrainingFeed>? feed = null)
    {
        using var trainer = new Trainer(config, data, feed) { Profile = new StepProfile(TrainingDevices.IsCuda(config.ResolvedDevice)) };
        var sink = new TimingSink(wanted);
        var dir = Path.Combine(Path.GetTempPath(), $"proco-bench-{Environment.ProcessId}-{Guid.NewGuid():N}");
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
        return (sink.StepTimes.Skip(warmup).ToList(), trainer.Profile);
    }

    /// <summary>A Python side of a benchmark that could not run or answer.</summary>
    private sealed class PythonScriptException(string message, Exception? inner = null) : Exception(message, inner);

    private sealed record PyTorchResult(string Label, string Version, double[] Times);

    // PyTorch's side: the script prints one JSON object per precision with every timed step.
    private static List<PyTorchResult> PyTorchSteps(string script, BenchSettings settings, TrainingConfig config, TrainingData data,
        string precisions, bool channelsLast)
    {
        List<string> arguments =
        [
            script, "--precision", precisions, "--batch-size", $"{config.BatchSize}", "--depth", $"{config.Depth}",
            "--width", $"{config.Width}", "--classes", $"{data.Train.NumClasses}", "--channels", $"{data.Train.Channels}",
            "--size", $"{((ImageDataset)data.Train).Height}", "--feat-dim", $"{config.FeatDim}", "--steps", $"{settings.Steps}",
            "--warmup", $"{settings.Warmup}", "--threads", $"{torch.get_num_threads()}",
        ];
        if (channelsLast) arguments.Add("--channels-last");
        return PythonJson(settings.Python, arguments, "PyTorch benchmark", "python3-torch").Select(root =>
        {
            var precision = root.GetProperty("precision").GetString()!;
            var label = (precision == PrecisionPlan.Bf16 ? "bf16 autocast" : precision) + (channelsLast ? ", channels-last" : "");
            return new PyTorchResult(label, root.GetProperty("version").GetString()!,
                root.GetProperty("times_s").EnumerateArray().Select(t => t.GetDouble()).ToArray());
        }).ToList();
    }

    /// <summary>
    /// Runs a Python script that prints one JSON object a line and gives them; a failure names <paramref name="what"/>,
    /// the Debian package it needs (<paramref name="package"/>) and the script's error output.
    /// </summary>
    internal static List<JsonElement> PythonJson(string python, IEnumerable<string> arguments, string what, string package)
    {
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new PythonScriptException($"Could not start {python}.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new PythonScriptException($"Could not start {python} for the {what}: {e.Message}.", e);
        }
        using (process)
        {
            try
            {
                var errors = process.StandardError.ReadToEndAsync();
                var results = new List<JsonElement>();
                while (process.StandardOutput.ReadLine() is { } line)
                {
                    using var json = JsonDocument.Parse(line);
                    results.Add(json.RootElement.Clone());
                }
                process.WaitForExit();
                if (process.ExitCode != 0)
                    throw new PythonScriptException($"The {what} failed (exit {process.ExitCode}); is {package} installed for {python}?\n{errors.Result}");
                return results;
            }
            catch (JsonException e)
            {
                throw new PythonScriptException($"The {what} printed something other than its results: {e.Message}", e);
            }
            finally
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
            }
        }
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

        public void Started(TrainingStart start) => _watch.Restart();
        public void Epoch(EpochReport report) => _watch.Restart();
        public void Tested(TestReport report) => _watch.Restart();
        public void Checkpoint(CheckpointReport report) => _watch.Restart();
        public void Log(string level, string message) { }
        public void Flush() { }
    }

    // The last epoch's few-shot accuracy of a full run.
    private sealed class LastEpochSink : IMetricSink
    {
        public double Few { get; private set; } = double.NaN;
        public void Step(StepReport report) { }
        public void Epoch(EpochReport report) => Few = report.Shots.Few;
        public void Tested(TestReport report) { }
        public void Checkpoint(CheckpointReport report) { }
        public void Log(string level, string message) { }
        public void Flush() { }
    }
}
