using Microsoft.Extensions.Configuration;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;
using ProCo.Web.Cli;

namespace ProCo.Web.Tests;

public class CommandLineTests
{
    [Theory]
    [InlineData(new string[0], true)]
    [InlineData(new[] { "serve" }, true)]
    [InlineData(new[] { "--urls", "http://127.0.0.1:6000" }, true)]
    [InlineData(new[] { "doctor" }, false)]
    [InlineData(new[] { "--help" }, false)]
    public void IsServe_TreatsNoVerbAndHostOptionsAsServe(string[] args, bool expected) =>
        Assert.Equal(expected, CommandLine.IsServe(args));

    [Fact]
    public void ServeArguments_DropTheVerbAndKeepHostOptions() =>
        Assert.Equal(["--urls", "http://0.0.0.0:8080"], CommandLine.ServeArguments(["serve", "--urls", "http://0.0.0.0:8080"]));

    [Fact]
    public void Train_TakesThePublicScriptsPositionalFormOrNamedOptions()
    {
        var positional = TrainCommand.ConfigFor("cifar100", "0.01", "200");
        Assert.Equal(("cifar100", 0.01, 200), (positional.Dataset, positional.ImbalanceFactor, positional.Epochs));
        var named = TrainCommand.ConfigFor("--dataset", "cifar10", "--imbalance", "50", "--epochs", "400", "--alpha", "2");
        Assert.Equal(("cifar10", 0.02, 400, 2.0), (named.Dataset, named.ImbalanceFactor, named.Epochs, named.Alpha));
        var demo = TrainCommand.ConfigFor("--preset", "cpu-demo", "--epochs", "12");
        Assert.Equal(("fashion-mnist", 12, 8), (demo.Dataset, demo.Epochs, demo.Depth));
    }

    // A non-default value of every configuration field, as typed on the command line. A new field
    // fails this test until it has one here: proof that it got its CLI option without more code.
    private static readonly Dictionary<string, (string Text, object Expected)> NonDefaults = new()
    {
        [nameof(TrainingConfig.Dataset)] = ("cifar10", "cifar10"),
        [nameof(TrainingConfig.ImbalanceFactor)] = ("50", 0.02),
        [nameof(TrainingConfig.ImbalanceProfile)] = ("step", "step"),
        [nameof(TrainingConfig.ClassOrder)] = ("reversed", "reversed"),
        [nameof(TrainingConfig.MaxPerClass)] = ("300", 300),
        [nameof(TrainingConfig.MaxTestPerClass)] = ("20", 20),
        [nameof(TrainingConfig.SubsetSeed)] = ("5", 5),
        [nameof(TrainingConfig.CropSize)] = ("128", 128),
        [nameof(TrainingConfig.ContrastViews)] = ("rand-rand", "rand-rand"),
        [nameof(TrainingConfig.UnreadableImages)] = ("fail", "fail"),
        [nameof(TrainingConfig.LoaderThreads)] = ("3", 3),
        [nameof(TrainingConfig.Arch)] = ("resnet50", "resnet50"),
        [nameof(TrainingConfig.WidthDivisor)] = ("4", 4),
        [nameof(TrainingConfig.MicroBatch)] = ("32", 32),
        [nameof(TrainingConfig.Method)] = ("la", "la"),
        [nameof(TrainingConfig.Depth)] = ("56", 56),
        [nameof(TrainingConfig.Width)] = ("2", 2),
        [nameof(TrainingConfig.FeatDim)] = ("64", 64),
        [nameof(TrainingConfig.UseNorm)] = ("true", true),
        [nameof(TrainingConfig.InitFrom)] = ("released.pth.tar", "released.pth.tar"),
        [nameof(TrainingConfig.Alpha)] = ("0.5", 0.5),
        [nameof(TrainingConfig.Temperature)] = ("0.07", 0.07),
        [nameof(TrainingConfig.LogitAdjustTau)] = ("1.5", 1.5),
        [nameof(TrainingConfig.Epochs)] = ("400", 400),
        [nameof(TrainingConfig.BatchSize)] = ("128", 128),
        [nameof(TrainingConfig.LearningRate)] = ("0.1", 0.1),
        [nameof(TrainingConfig.WarmupEpochs)] = ("3", 3),
        [nameof(TrainingConfig.Momentum)] = ("0.8", 0.8),
        [nameof(TrainingConfig.WeightDecay)] = ("5e-4", 5e-4),
        [nameof(TrainingConfig.Schedule)] = ("cosine", "cosine"),
        [nameof(TrainingConfig.Seed)] = ("7", 7),
        [nameof(TrainingConfig.Device)] = ("cuda:1", "cuda:1"),
        [nameof(TrainingConfig.Precision)] = ("BF16", "bf16"),
        [nameof(TrainingConfig.EvalBatchSize)] = ("250", 250),
    };

    [Theory]
    [InlineData("resnet50", "ResNet-50 + ProCo heads, 1000 classes, feat_dim 1024, cosine classifier", "23,508,032")]
    [InlineData("resnext50", "ResNeXt-50 (32x4d) + ProCo heads, 1000 classes, feat_dim 1024, cosine classifier", "22,979,904")]
    [InlineData("cifar", "resnet32 (width x1, 3 input channels) + ProCo heads, 100 classes, feat_dim 128, linear classifier", "463,504")]
    public void Model_PrintsTorchvisionsBackboneCounts(string arch, string title, string encoder)
    {
        using var output = new StringWriter();
        // Through the whole root command (reading options by name once collided with bench's there).
        var root = CommandLine.Root();
        root.Subcommands.Remove(root.Subcommands.Single(c => c.Name == "model"));
        root.Subcommands.Add(ModelCommand.Create(output));
        Assert.Equal(0, root.Parse(["model", "--arch", arch]).Invoke());
        var lines = output.ToString().Split('\n', StringSplitOptions.TrimEntries);
        Assert.Equal(title, lines[0]);
        Assert.Equal($"encoder {encoder}", System.Text.RegularExpressions.Regex.Replace(lines[1], " +", " "));
    }

    [Fact]
    public void Train_HasAnOptionForEveryConfigField_MadeFromItsDescription()
    {
        Assert.Equal(ConfigSchema.Fields.Select(f => f.Property).Order(), NonDefaults.Keys.Order());
        var args = ConfigSchema.Fields.SelectMany(f => new[] { "--" + f.Option, NonDefaults[f.Property].Text }).ToArray();
        var config = TrainCommand.ConfigFor(args);
        foreach (var field in ConfigSchema.Fields)
        {
            Assert.NotEqual(field.Default, NonDefaults[field.Property].Expected);
            Assert.Equal(NonDefaults[field.Property].Expected, field.Get(config));
        }
        Assert.Empty(config.Validate());
        // A value the field cannot read is refused with the option and the field named.
        var bad = Assert.Throws<ArgumentException>(() => TrainCommand.ConfigFor("--method", "focal"));
        Assert.Equal("--method: Method: 'focal' is not one of proco, la, ce.", bad.Message);
        Assert.Contains("--feat-dim", TrainCommand.Create().Options.Select(o => o.Name));
    }

    [Fact]
    public void ARunsCommandLine_TrainsTheSameConfiguration_ForEveryPreset_EveryFieldChanged_AndQuotedText()
    {
        // Split as a POSIX shell splits it: words, and single-quoted text with '\'' for a quote.
        static string[] Split(string line)
        {
            var words = new List<string>();
            var word = new System.Text.StringBuilder();
            var (quoted, any) = (false, false);
            for (var i = 0; i < line.Length; i++)
            {
                var c = line[i];
                if (quoted) { if (c == '\'') quoted = false; else word.Append(c); }
                else if (c == '\'') (quoted, any) = (true, true);
                else if (c == '\\') { word.Append(line[++i]); any = true; }
                else if (c == ' ') { if (word.Length > 0 || any) words.Add(word.ToString()); word.Clear(); any = false; }
                else { word.Append(c); any = true; }
            }
            if (word.Length > 0 || any) words.Add(word.ToString());
            return [.. words];
        }
        var changed = ConfigSchema.Fields.Aggregate(new TrainingConfig(), (c, f) => f.With(c, NonDefaults[f.Property].Expected))
            with { InitFrom = "my weights/it's.pth" };
        var configs = Presets.All.Select(p => p.Config).Append(changed).Append(new TrainingConfig()).ToList();
        foreach (var config in configs)
        {
            var line = TrainCommandLine.Of(config);
            var words = Split(line);
            Assert.Equal(["proco", "train", "--dataset", config.Dataset, "--imbalance"], words.Take(5));
            Assert.Equal(config.ToJson(), TrainCommand.ConfigFor(words[2..]).ToJson());
        }
        Assert.Equal("proco train --dataset cifar100 --imbalance 0.01 --epochs 200", TrainCommandLine.Of(new TrainingConfig()));
        Assert.Contains("--init-from 'my weights/it'\\''s.pth'", TrainCommandLine.Of(changed), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "train", "--epoch", "60" }, "Unrecognised argument '--epoch'. See 'train --help'.")]
    [InlineData(new[] { "bench", "--stepz", "5" }, "Unrecognised argument '--stepz'. See 'bench --help'.")]
    [InlineData(new[] { "eval", "-c", "best.ckpt" }, "Unrecognised argument '-c'. See 'eval --help'.")]
    public void AMistypedOption_IsNamedAsSuch_EvenWhereItFillsAPositionalSlot(string[] args, string message)
    {
        var verb = new[] { TrainCommand.Create(), BenchCommand.Create(), EvalCommand.Create() }.Single(c => c.Name == args[0]);
        var error = Assert.Throws<ArgumentException>(() => CliConfiguration.Build(verb.Parse(args[1..])));
        Assert.Equal(message, error.Message);
    }

    // Every command of the executable with the path that reaches it ("dataset add").
    private static IEnumerable<(string[] Path, System.CommandLine.Command Command)> Commands(System.CommandLine.Command command, string[] path)
    {
        yield return (path, command);
        foreach (var child in command.Subcommands)
            foreach (var found in Commands(child, [.. path, child.Name])) yield return found;
    }

    [Fact]
    public void EveryCommand_NamesEachOfItsOptionsOnce_AndPrintsItsHelp()
    {
        var root = CommandLine.Root();
        var verbs = Commands(root, []).ToList();
        Assert.Contains(verbs, v => v.Path.SequenceEqual(["dataset", "add"]));
        foreach (var (path, command) in verbs)
        {
            // Its own options and those its ancestors hand down (--help): each name and alias once.
            var inherited = verbs.Where(v => v.Path.Length < path.Length && path.Take(v.Path.Length).SequenceEqual(v.Path))
                .SelectMany(v => v.Command.Options.Where(o => o.Recursive));
            var names = command.Options.Concat(inherited).Distinct().SelectMany(o => o.Aliases.Prepend(o.Name)).ToList();
            var twice = names.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(twice.Count == 0, $"'{string.Join(' ', path)}' has more than one option named {string.Join(", ", twice)}");

            using var output = new StringWriter();
            var code = root.Parse([.. path, "--help"]).Invoke(new System.CommandLine.InvocationConfiguration { Output = output });
            Assert.True(code == 0, $"'{string.Join(' ', path)} --help' exited {code}");
            // Help wraps the description at the console's width.
            static string Words(string? text) => string.Join(' ', (text ?? "").Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("Usage:", output.ToString(), StringComparison.Ordinal);
            Assert.Contains(Words(command.Description), Words(output.ToString()), StringComparison.Ordinal);
        }
        // 'proco serve --help' is help, not the web app.
        Assert.False(CommandLine.IsServe(["serve", "--help"]));
        Assert.True(CommandLine.IsServe(["serve", "--urls", "http://127.0.0.1:5001"]));
    }

    [Fact]
    public void TrainWithAPreset_ResolvesExactlyThePresetsConfiguration_AndASwitchCountsOnlyWhenGiven()
    {
        foreach (var preset in Presets.All)
            Assert.Equal(preset.Config, TrainCommand.ConfigFor("--preset", preset.Id));
        var imagenet = TrainCommand.ConfigFor("--preset", "imagenet-lt-r50-e90");
        Assert.Equal((true, PrecisionPlan.Fp32, TrainingDevices.Auto), (imagenet.UseNorm, imagenet.Precision, imagenet.Device));
        Assert.False(TrainCommand.ConfigFor("--preset", "imagenet-lt-r50-e90", "--use-norm", "false").UseNorm);
        Assert.True(TrainCommand.ConfigFor("--preset", "cpu-demo", "--use-norm").UseNorm);
        Assert.True(TrainCommand.ConfigFor("--preset", "cpu-demo", "--use-norm", "true").UseNorm);
    }

    [Fact]
    public void ConfigurationSwitches_AreTakenWhereverTheyStand_NotParsedAsAPositionalArgument()
    {
        // 'train --preset X --ProCo:Datasets:cifar10=PATH' once made the switch the dataset argument (or, after a
        // dataset, the imbalance factor).
        string[] args = ["train", "--preset", "cifar10-imb100-e200", "--ProCo:Datasets:cifar10=/data/c10", "--epochs", "6",
            "--ProCo:DataDir", "/srv/proco", "cifar100"];
        var rest = CliConfiguration.TakeSwitches(args);
        Assert.Equal(["train", "--preset", "cifar10-imb100-e200", "--epochs", "6", "cifar100"], rest);
        var parse = TrainCommand.Create().Parse(rest[1..]);
        var configuration = CliConfiguration.Build(parse);
        Assert.Equal(("/data/c10", "/srv/proco"), (configuration["ProCo:Datasets:cifar10"], configuration["ProCo:DataDir"]));
        var config = TrainCommand.ConfigFor(rest[1..]);
        Assert.Equal(("cifar100", 6, PrecisionPlan.Fp32), (config.Dataset, config.Epochs, config.Precision));
    }

    [Theory]
    [InlineData(new[] { "cifar10", "0.01", "200", "--epochs", "100" }, "The epochs is given twice, as '200' and as --epochs '100'")]
    [InlineData(new[] { "--preset", "gpu-fast" }, "Unknown preset 'gpu-fast'")]
    public void Train_RejectsBadArgumentsWithAPlainMessage(string[] args, string message) =>
        Assert.StartsWith(message, Assert.Throws<ArgumentException>(() => TrainCommand.ConfigFor(args)).Message, StringComparison.Ordinal);

    [Fact]
    public void TrainProgressLine_GivesEachShotGroupItsClassCount_AndAnEmptyGroupNoScore()
    {
        var folder = Path.Combine(Path.GetTempPath(), "proco-sink-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            using var console = new StringWriter();
            using (var sink = new FileMetricSink(folder, csv: false, console))
            {
                var values = new Dictionary<string, double>
                {
                    [Series.ValCeLoss] = 1.25, [Series.ValTop1] = 60, [Series.ValMany] = 80, [Series.ValMedium] = 50,
                    [Series.TrainTop1] = 70,
                };
                var vectors = new Dictionary<string, double[]>
                {
                    [VectorKinds.ClassCounts] = [150, 50, 30], [VectorKinds.Accuracy] = [80, 60, 40],
                };
                var shots = ShotAccuracy.From([150, 50, 30], [80, 60, 40]); // no class under 20 images
                sink.Epoch(new EpochReport(1, 2, 10, values, vectors, TimeSpan.FromSeconds(3), shots));
            }
            Assert.Contains("top1 60.00  many 80.00 (1)  medium 50.00 (2)  few – (0)  train top1 70.00", console.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void TrainThenEval_FromTheCommandLine_FillsTheOutputFolder_AndEvalReproducesTheBestTop1()
    {
        var folder = Path.Combine(Path.GetTempPath(), "proco-cli-" + Guid.NewGuid().ToString("N"));
        var catalog = new DatasetCatalog(Path.GetTempPath());
        try
        {
            var config = TrainCommand.ConfigFor("fashion-mnist", "0.1", "2", "--max-per-class", "60", "--max-test-per-class", "20",
                "--batch-size", "32", "--depth", "8", "--feat-dim", "16", "--lr", "0.05", "--warmup", "1", "--seed", "3",
                // The evaluation below is in float32 (eval's default) and must find the training's best top-1 again.
                "--precision", "fp32");
            using var console = new StringWriter();
            Assert.Equal(0, TrainCommand.Run(config, folder, resume: null, csv: false, catalog, console, CancellationToken.None));
            var lines = console.ToString().Split('\n', StringSplitOptions.TrimEntries);
            Assert.Equal(2, lines.Count(l => l.StartsWith("epoch ", StringComparison.Ordinal) && l.Contains("ETA", StringComparison.Ordinal)));
            var done = lines.Single(l => l.StartsWith("done: best top-1 ", StringComparison.Ordinal));
            var best = done["done: best top-1 ".Length..done.IndexOf(';', StringComparison.Ordinal)];

            foreach (var file in new[] { "config.json", "metrics.jsonl", "vectors.jsonl", "events.log", "last.ckpt", "best.ckpt" })
                Assert.True(File.Exists(Path.Combine(folder, file)), file);
            Assert.Equal(2, File.ReadLines(Path.Combine(folder, "vectors.jsonl")).Count());
            // 60 down to 6 images per class: 240 images, 7 steps of 32 per epoch (drop-last).
            Assert.Equal(14, File.ReadLines(Path.Combine(folder, "metrics.jsonl")).Count(l => l.Contains("\"CE_loss/train\"", StringComparison.Ordinal)));

            using var evaluation = new StringWriter();
            Assert.Equal(0, EvalCommand.Run(Path.Combine(folder, "best.ckpt"), new EvalCommand.EvalSettings(), catalog, evaluation));
            var report = evaluation.ToString().Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            Assert.StartsWith($"top-1 {best}  many – (0)  medium ", report[1], StringComparison.Ordinal);
            var rows = report[3..13].Select(r => r.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^3..]
                .Select(x => double.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray()).ToArray();
            Assert.Equal(new double[] { 60, 46, 35, 27, 21, 16, 12, 10, 7, 6 }, rows.Select(r => r[0]));
            var counts = rows.Select(r => r[0]).ToArray();
            var rho = System.FormattableString.Invariant(
                $"accuracy {ProCo.Training.Numerics.RankCorrelation.Spearman(counts, rows.Select(r => r[1]).ToArray()):F2}");
            Assert.StartsWith("rank correlation with training images (Spearman): ", report[13], StringComparison.Ordinal);
            Assert.Contains(rho, report[13], StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Eval_OfResNet50WeightsOnARegisteredDataset_PrintsTop1AndTheShots_InFloat32()
    {
        var root = Path.Combine(Path.GetTempPath(), "proco-eval-r50-" + Guid.NewGuid().ToString("N"));
        try
        {
            var tree = ProCo.Tests.ImageTrees.SplitFolders(Path.Combine(root, "tree"), [10, 6, 3], 2);
            var registry = new DatasetRegistry(Path.Combine(root, "datasets.json"));
            registry.Save(ImageFileDatasets.Resolve(new DatasetRequest("flowers", tree)));
            var catalog = new DatasetCatalog(Path.Combine(root, "datasets"), new Dictionary<string, string>(), false, registry);
            // torchvision's ResNet-50 layout (channels ÷16 to stay small), cosine classifier, as a PyTorch state_dict.
            var weights = Path.Combine(root, "r50.pt");
            using (var model = new ProCo.Training.Models.ProCoModel(new ProCo.Training.Models.ModelSpec(50, 1, 3, 3, 16, UseNorm: true, HiddenDim: 128,
                       Arch: ProCo.Training.Models.Architectures.ResNet50, WidthDivisor: 16)))
                ProCo.Training.Models.PyTorchWeights.Save(model, weights);
            using var output = new StringWriter();
            Assert.True(EvalCommand.RunPyTorch(weights, "flowers", null, new EvalCommand.EvalSettings(), catalog, output) == 0, output.ToString());
            var lines = output.ToString().Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal($"{weights}: ResNet-50 (channels ÷16) + ProCo heads, 3 classes, feat_dim 16, cosine classifier (PyTorch weights) on flowers, " +
                         "evaluated on cpu in fp32 (as configured)", lines[0]);
            // The registered tree's own (long-tailed) training counts split the shots: 10, 6 and 3 images, all few-shot.
            Assert.Matches(@"^top-1 \d+\.\d\d  many – \(0\)  medium – \(0\)  few \d+\.\d\d \(3\)  loss \d", lines[1]);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Download_TakesTheFilesFromProCoDownloadMirror_AsTheDatasetsPageDoes()
    {
        // A mirror on a loopback port nobody listens on: the attempt names the mirror's copy of the file, not the publisher's.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var root = Path.Combine(Path.GetTempPath(), "proco-download-" + Guid.NewGuid().ToString("N"));
        try
        {
            var mirror = $"http://127.0.0.1:{port}/lab-copy";
            var parse = DownloadCommand.Create().Parse(["cifar10", $"--ProCo:DownloadMirror={mirror}", $"--ProCo:DataDir={root}"]);
            var options = ProCo.Web.Runs.RunServiceCollectionExtensions.ReadOptions(CliConfiguration.Build(parse));
            Assert.Equal(mirror, options.DownloadMirror);
            var catalog = new DatasetCatalog(Path.Combine(root, "datasets"), new Dictionary<string, string>(), false);
            using var http = new HttpClient();
            using var output = new StringWriter();
            Assert.Equal(1, await DownloadCommand.RunAsync(new DatasetDownloader(http), catalog, "cifar10", options.DownloadMirror, output,
                CancellationToken.None));
            Assert.Contains($"Cannot download {mirror}/cifar-10-python.tar.gz", output.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("Cannot download https://www.cs.toronto.edu", output.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData(new[] { "--images", "--pytorch", "scripts/pytorch_image_pipeline.py" }, "give its folder with --public-code PATH")]
    [InlineData(new[] { "--images", "--pytorch", "scripts/pytorch_image_pipeline.py", "--public-code", "/no/such/checkout" },
        "--public-code /no/such/checkout is not a checkout of LeapLabTHU/ProCo")]
    public async Task BenchImagesAgainstThePublicPipeline_RefusesAMissingCheckoutWithItsReason(string[] args, string reason)
    {
        // Refused before anything is timed: bad input is an ArgumentException, which the command line prints without a stack trace.
        var parse = BenchCommand.Create().Parse(args);
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            parse.InvokeAsync(new System.CommandLine.InvocationConfiguration { EnableDefaultExceptionHandler = false }));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_OfAMissingCheckpoint_ExitsOneAndNamesTheFile()
    {
        using var output = new StringWriter();
        var path = Path.Combine(Path.GetTempPath(), "no-such-" + Guid.NewGuid().ToString("N") + ".ckpt");
        Assert.Equal(1, EvalCommand.Run(path, new EvalCommand.EvalSettings(), new DatasetCatalog(Path.GetTempPath()), output));
        Assert.Contains(path, output.ToString(), StringComparison.Ordinal);
    }

    private static IConfiguration Config(string dataDir, string datasetsDir, bool system) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ProCo:DataDir"] = dataDir,
            ["ProCo:DatasetsDir"] = datasetsDir,
            ["ProCo:SearchSystemDatasets"] = system ? "true" : "false",
        }).Build();

    [Fact]
    public async Task Doctor_WithNoDatasetAnywhere_ExitsNonZeroAndSaysWhy()
    {
        var root = Path.Combine(Path.GetTempPath(), "proco-doctor-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var output = new StringWriter();
            var code = await DoctorCommand.RunAsync(Config(root, Path.Combine(root, "datasets"), system: false), output, default);
            var text = output.ToString();
            Assert.Equal(1, code);
            Assert.Contains("fashion-mnist  missing", text, StringComparison.Ordinal);
            Assert.Contains("NOT READY: No dataset is present.", text, StringComparison.Ordinal);
            Assert.Contains("libtorch 2.", text, StringComparison.Ordinal);
            Assert.Contains("not created yet", text, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Doctor_WithFashionMnistFilesInTheDatasetsFolder_IsReadyAndNamesTheFolder()
    {
        var root = Path.Combine(Path.GetTempPath(), "proco-doctor-" + Guid.NewGuid().ToString("N"));
        var fashion = Path.Combine(root, "datasets", "fashion-mnist");
        Directory.CreateDirectory(fashion);
        try
        {
            foreach (var name in new[] { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" })
                await File.WriteAllBytesAsync(Path.Combine(fashion, name), [0]);
            using var output = new StringWriter();
            var code = await DoctorCommand.RunAsync(Config(root, Path.Combine(root, "datasets"), system: false), output, default);
            Assert.Equal(0, code);
            Assert.Contains($"fashion-mnist  present  {fashion} (idx)", output.ToString(), StringComparison.Ordinal);
            Assert.Contains("cifar100       missing", output.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
