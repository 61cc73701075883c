using System.CommandLine;
using System.Globalization;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;
using ProCo.Training.Numerics;
using ProCo.Web.Hosting;

namespace ProCo.Web.Cli;

/// <summary><c>proco eval CHECKPOINT</c>: top-1 and many/medium/few of a checkpoint on its test set.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("checkpoint")
        {
            Description = "A .ckpt file written by proco train or the web app, or PyTorch weights (torch.save of the public model's state_dict, or a released checkpoint)",
        };
        var device = new Option<string?>("--device") { Description = "cpu, cuda or cuda:N (default: the checkpoint's)" };
        var dataset = new Option<string?>("--dataset") { Description = "For PyTorch weights: the dataset they were trained on (cifar10, cifar100)" };
        var imbalance = new Option<double>("--imbalance")
        {
            Description = "For PyTorch weights: the imbalance factor of their training set (the shot split; 0.01 = imbalance 100)",
            DefaultValueFactory = _ => 0.01,
        };
        var command = new Command("eval", "Evaluate a checkpoint on the balanced test set of its dataset.");
        command.Arguments.Add(checkpoint);
        command.Options.Add(device);
        command.Options.Add(dataset);
        command.Options.Add(imbalance);
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parse =>
        {
            var catalog = CliConfiguration.Paths(parse).CreateDatasetCatalog();
            var path = parse.GetValue(checkpoint)!;
            return File.Exists(path) && ProCo.Training.Models.PyTorchWeights.IsPyTorchFile(path)
                ? RunPyTorch(path, parse.GetValue(dataset), parse.GetValue(imbalance), parse.GetValue(device), catalog, Console.Out)
                : Run(path, parse.GetValue(device), catalog, Console.Out);
        });
        return command;
    }

    /// <summary>Evaluates PyTorch weights: the architecture comes from their shapes, the dataset from <paramref name="dataset"/>.</summary>
    public static int RunPyTorch(string path, string? dataset, double imbalance, string? device, DatasetCatalog catalog, TextWriter output)
    {
        try
        {
            if (dataset is null) throw new ArgumentException("PyTorch weights do not say their dataset: add --dataset cifar10 or --dataset cifar100.");
            var weights = ProCo.Training.Models.PyTorchWeights.Read(path);
            var spec = ProCo.Training.Models.PyTorchWeights.InferSpec(weights);
            var config = new TrainingConfig
            {
                Dataset = DatasetCatalog.NormalizeKey(dataset), ImbalanceFactor = imbalance, Depth = spec.Depth, Width = spec.Width,
                FeatDim = spec.FeatDim, UseNorm = spec.UseNorm, Device = device ?? "cpu",
            };
            using var trainer = new Trainer(config, TrainingData.Load(config, catalog));
            ProCo.Training.Models.PyTorchWeights.LoadInto(trainer.Model, weights);
            var result = trainer.Evaluate();
            output.WriteLine($"{path}: {spec.Describe()} (PyTorch weights) on {config.Dataset}");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"top-1 {result.Top1:F2}  {result.Shots.Describe()}  loss {result.Loss:F4}"));
            return 0;
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DatasetMissingException or ArgumentException)
        {
            output.WriteLine(e.Message);
            return 1;
        }
    }

    public static int Run(string path, string? device, DatasetCatalog catalog, TextWriter output)
    {
        try
        {
            var meta = CheckpointFile.ReadMeta(path);
            var config = device is null ? meta.Config : meta.Config with { Device = device };
            using var trainer = new Trainer(config, TrainingData.Load(config, catalog));
            trainer.LoadWeights(path);
            var result = trainer.Evaluate();
            output.WriteLine($"{path}: {meta.Spec.Describe()}, {config.Method} on {config.Dataset}, epoch {meta.CompletedEpochs}/{config.Epochs}");
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
