using System.CommandLine;
using System.Globalization;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;
using ProCo.Training.Numerics;

namespace ProCo.Web.Cli;

/// <summary><c>proco eval CHECKPOINT</c>: top-1 and many/medium/few of a checkpoint on its test set.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("checkpoint")
        {
            Description = "A .ckpt file written by proco train or the web app, or PyTorch weights (torch.save of the public model's state_dict, " +
                          "or a released checkpoint): CIFAR ResNets, ResNet-50 or ResNeXt-50, linear or cosine classifier, read from the shapes",
        };
        var device = new Option<string?>("--device") { Description = "auto, cpu, cuda or cuda:N (default: auto)" };
        var dataset = new Option<string?>("--dataset")
        {
            Description = "For PyTorch weights: the dataset they were trained on, built in (cifar10, cifar100, fashion-mnist) or registered (proco dataset list)",
        };
        var imbalance = new Option<double?>("--imbalance")
        {
            Description = "For PyTorch weights: the imbalance factor of their training set, which gives the many/medium/few split " +
                          "(default 0.01, imbalance 100, for a built-in dataset; 1 for a registered one, whose lists are long-tailed already)",
        };
        var precision = new Option<string>("--precision")
        {
            Description = "The arithmetic of the evaluation: fp32 (default, as the public code evaluates), bf16, fp16 or auto",
            DefaultValueFactory = _ => PrecisionPlan.Fp32,
        };
        precision.AcceptOnlyFromAmong([.. PrecisionPlan.Settings]);
        var command = new Command("eval", "Evaluate a checkpoint or PyTorch weights on the test set of its dataset: top-1, many/medium/few, per class.");
        command.Arguments.Add(checkpoint);
        command.Options.Add(device);
        command.Options.Add(dataset);
        command.Options.Add(imbalance);
        command.Options.Add(precision);
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parse =>
        {
            var catalog = CliConfiguration.Paths(parse).CreateDatasetCatalog();
            var path = parse.GetValue(checkpoint)!;
            var how = new EvalSettings(parse.GetValue(device), parse.GetValue(precision)!);
            return File.Exists(path) && ProCo.Training.Models.PyTorchWeights.IsPyTorchFile(path)
                ? RunPyTorch(path, parse.GetValue(dataset), parse.GetValue(imbalance), how, catalog, Console.Out)
                : Run(path, how, catalog, Console.Out);
        });
        return command;
    }

    /// <summary>How to evaluate: on which device (null: auto) and in which precision.</summary>
    public sealed record EvalSettings(string? Device = null, string Precision = PrecisionPlan.Fp32);

    /// <summary>
    /// Evaluates PyTorch weights: the architecture comes from their shapes, the dataset from <paramref name="dataset"/>
    /// (built in or registered), the shot split from <paramref name="imbalance"/>.
    /// </summary>
    public static int RunPyTorch(string path, string? dataset, double? imbalance, EvalSettings how, DatasetCatalog catalog, TextWriter output)
    {
        try
        {
            if (dataset is null)
                throw new ArgumentException("PyTorch weights do not say their dataset: add --dataset cifar10, cifar100, or the name of a registered dataset.");
            using var weights = ProCo.Training.Models.TorchArchive.Open(path);
            var spec = ProCo.Training.Models.PyTorchWeights.InferSpec(weights.Shapes());
            var registered = catalog.Registered(dataset) is not null;
            var config = new TrainingConfig
            {
                Dataset = DatasetCatalog.NormalizeName(dataset), ImbalanceFactor = imbalance ?? (registered ? 1 : 0.01),
                Arch = spec.Arch, Depth = spec.Depth, Width = spec.Width, WidthDivisor = spec.WidthDivisor,
                FeatDim = spec.FeatDim, UseNorm = spec.UseNorm,
                EvalBatchSize = ProCo.Training.Models.Architectures.IsTorchvision(spec.Arch) ? 64 : 500,
                // Nothing trains: any training set of two images or more gives the shot split.
                BatchSize = 2,
            };
            if (!registered && KnownDatasets.Find(dataset) is null)
                throw new ArgumentException($"Unknown dataset '{dataset}': built in are {string.Join(", ", DatasetCatalog.Keys)}; " +
                                            "a registered one is named as proco dataset list shows it.");
            config = Configured(config, how);
            using var trainer = new Trainer(config, TrainingData.Load(config, catalog));
            ProCo.Training.Models.PyTorchWeights.LoadInto(trainer.Model, weights);
            var result = trainer.Evaluate();
            output.WriteLine($"{path}: {spec.Describe()} (PyTorch weights) on {config.Dataset}, {Describe(trainer)}");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"top-1 {result.Top1:F2}  {result.Shots.Describe()}  loss {result.Loss:F4}"));
            return 0;
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DatasetMissingException or ArgumentException)
        {
            output.WriteLine(e.Message);
            return 1;
        }
    }

    // The evaluation's device and precision over the configuration's.
    private static TrainingConfig Configured(TrainingConfig config, EvalSettings how) =>
        config with { Device = how.Device ?? TrainingDevices.Auto, Precision = how.Precision };

    // "evaluated on cpu in fp32 (as configured)".
    private static string Describe(Trainer trainer) => $"evaluated on {trainer.DeviceName} in {trainer.Precision}";

    /// <summary>Evaluates a ProCo Studio checkpoint on the test set of the dataset it trained on.</summary>
    public static int Run(string path, EvalSettings how, DatasetCatalog catalog, TextWriter output)
    {
        try
        {
            var meta = CheckpointFile.ReadMeta(path);
            var config = Configured(meta.Config, how);
            using var trainer = new Trainer(config, TrainingData.Load(config, catalog));
            trainer.LoadWeights(path);
            var result = trainer.Evaluate();
            output.WriteLine($"{path}: {meta.Spec.Describe()}, {config.Method} on {config.Dataset}, epoch {meta.CompletedEpochs}/{config.Epochs}, " +
                             Describe(trainer));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"top-1 {result.Top1:F2}  {result.Shots.Describe()}  loss {result.Loss:F4}"));
            output.WriteLine("class                 train images  accuracy  test kappa");
            for (var c = 0; c < result.PerClassAccuracy.Length; c++)
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{meta.ClassNames[c],-20} {meta.ClassCounts[c],13} {result.PerClassAccuracy[c],9:F1} {result.TestKappa[c],11:F1}"));
            var counts = meta.ClassCounts.Select(c => (double)c).ToArray();
            static string Rho(double rho) => double.IsNaN(rho) ? "–" : rho.ToString("F2", CultureInfo.InvariantCulture);
            output.WriteLine($"rank correlation with training images (Spearman): accuracy {Rho(RankCorrelation.Spearman(counts, result.PerClassAccuracy))}" +
                $"  test kappa {Rho(RankCorrelation.Spearman(counts, result.TestKappa))}");
            return 0;
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DatasetMissingException or ArgumentException)
        {
            output.WriteLine(e.Message);
            return 1;
        }
    }
}
