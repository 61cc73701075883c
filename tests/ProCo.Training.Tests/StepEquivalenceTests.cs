using ProCo.Training.Datasets;
using ProCo.Training.Engine;
using TorchSharp.PyBridge;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ProCo.Training.Tests;

/// <summary>
/// The trainer's steps against the public ProCo code's own (Fixtures/steps/generate.py ran LeapLabTHU/ProCo's
/// model, ProCo loss, logit-adjusted CE and SGD): the same initial weights (loaded as PyTorch weights, the
/// <c>--init-from</c> path), the same 24 batches of three views: four epochs of six steps of the 200-epoch CIFAR
/// preset's warm-up, its learning rate scaled to the fixture's batch of 32, with the estimators swapped at each
/// epoch start. The trainer runs as a run does, in the precision and layout the paper's presets train in, fed
/// the fixture's batches instead of augmented ones.
/// <para>
/// Training is chaotic: a float32 rounding in one step grows in the next ones, in PyTorch as here. So every
/// step's numbers are compared with the public code run in float64 (the exact computation, to float32's eye),
/// and must be as close to it as the public code's own float32 runs are (<see cref="Slack"/> times their
/// largest distance so far, see <see cref="Within"/>): a different kernel's rounding passes, a different
/// computation does not. The fixture's README gives the figures.
/// </para>
/// </summary>
public sealed class StepEquivalenceTests(ITestOutputHelper output)
{
    /// <summary>How many times farther from float64 than the public code's float32 runs a step may be.</summary>
    public const double Slack = 8;

    /// <summary>Below this relative distance from float64 any step passes (a few float32 roundings).</summary>
    public const double Floor = 2e-6;

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "steps", name);

    private static Dictionary<string, Tensor> Load(string name) =>
        PyTorchUnpickler.UnpickleStateDict(Fixture(name)).Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (Tensor)e.Value!);

    /// <summary>The trainer's numbers after each step.</summary>
    private sealed record Observed(double Ce, double Scl, double[] Norms, double[] Sums, Dictionary<string, Tensor> Estimators);

    [Theory]
    [InlineData("proco")]
    [InlineData("la")]
    [InlineData("ce")]
    public void TheTrainersSteps_FollowThePublicCode(string method)
    {
        var data = Load("data.pt");
        var expected = Load($"expected-{method}.pt");
        var observed = Train(method, data);
        var steps = (int)expected["ce"].shape[0];
        Assert.Equal(steps, observed.Count);
        var failures = new List<string>();
        var keys = expected.Keys.Where(k => !k.Contains('.')).ToList();
        foreach (var key in keys)
        {
            var truth = expected[key].to_type(ScalarType.Float64);
            var envelope = expected["env." + key].to_type(ScalarType.Float64);
            var ours = stack(observed.Select(o => Value(o, key))).to_type(ScalarType.Float64).reshape(truth.shape);
            var (worst, worstStep) = (0.0, 0);
            for (var s = 0; s < steps; s++)
            {
                var (distance, allowed) = Within(truth[..(s + 1)], envelope[..(s + 1)], ours[s], s);
                if (distance / allowed > worst) (worst, worstStep) = (distance / allowed, s + 1);
                if (distance > allowed) failures.Add($"{method} step {s + 1} {key}: {distance:E2} from float64, allowed {allowed:E2}");
            }
            output.WriteLine($"{method} {key}: step {worstStep} is the closest to its allowance, at {worst:P0} of it");
        }
        var fp32 = expected["fp32.ce"].data<double>().ToArray();
        output.WriteLine($"{method} CE per step, ours / public float32:\n" +
                         string.Join("\n", observed.Select((o, s) => $"  {s + 1,2} {o.Ce:0.000000} {fp32[s]:0.000000}")));
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
    }

    /// <summary>
    /// Step s's distance of ours from float64, relative to the quantity's size, and what it may be: the public
    /// float32 runs' largest relative distance up to step s, times <see cref="Slack"/>, at least <see cref="Floor"/>.
    /// The size of an array is its largest magnitude (a norm near zero, e.g. of a BatchNorm bias barely moved, is
    /// measured against the step's largest norm).
    /// </summary>
    private static (double Distance, double Allowed) Within(Tensor truth, Tensor envelope, Tensor ours, int s)
    {
        var scale = Math.Max(truth[s].abs().max().item<double>(), 1e-12);
        var distance = (ours - truth[s]).abs().max().item<double>() / scale;
        var allowed = 0.0;
        for (var t = 0; t <= s; t++)
            allowed = Math.Max(allowed, envelope[t].abs().max().item<double>() / Math.Max(truth[t].abs().max().item<double>(), 1e-12));
        return (distance, Math.Max(Floor, Slack * allowed));
    }

    private static Tensor Value(Observed o, string key) => key switch
    {
        "ce" => tensor(o.Ce),
        "scl" => tensor(o.Scl),
        "norm" => tensor(o.Norms),
        "sum" => tensor(o.Sums),
        _ => o.Estimators[key],
    };

    private static List<Observed> Train(string method, Dictionary<string, Tensor> data)
    {
        var images = data["images"];
        var labels = data["labels"].data<long>().ToArray();
        var order = data["order"];
        var classes = 10;
        var names = Enumerable.Range(0, classes).Select(c => $"class {c}").ToArray();
        // The images as a CIFAR-format dataset: 28×28 padded to 32×32, grey in three channels.
        var pixels = nn.functional.pad(images, [2, 2, 2, 2]).unsqueeze(1).expand(-1, 3, -1, -1).contiguous().data<byte>().ToArray();
        var train = new ImageDataset("fixture train", pixels, labels, 3, 32, 32, names);
        var test = train.Subset([.. Enumerable.Range(0, 64)], "fixture test");
        var preset = Presets.All.Single(p => p.Id == "cifar10-imb100-e200").Config;
        var config = preset with
        {
            Method = method,
            BatchSize = 32,
            // The linear scaling rule: 0.3 for 256 images is 0.0375 for 32 (warmed up over 5 epochs: 0.0075, 0.015, ...).
            LearningRate = preset.LearningRate * 32 / preset.BatchSize,
            EvalBatchSize = 64,
            Device = "cpu",
        };
        var folder = Path.Combine(Path.GetTempPath(), "proco-steps-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            using var cancel = new CancellationTokenSource();
            using var trainer = new Trainer(config, new TrainingData(train, test), c => new FixtureFeed(c, train, order))
            {
                InitialWeightsPath = Fixture("init.pt"),
            };
            var stepsToRun = (int)order.shape[0] * trainer.StepsPerEpoch;
            var observed = new List<Observed>();
            var sink = new RecordingSink
            {
                OnStep = report =>
                {
                    observed.Add(Observe(trainer, report));
                    if (observed.Count == stepsToRun) cancel.Cancel();
                },
            };
            trainer.Run(sink, folder, cancellationToken: cancel.Token);
            return observed;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The public model's state_dict names, in the order of the fixture's norms and sums.</summary>
    private static readonly string[] StateNames = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Fixture("meta.json")))
        .RootElement.GetProperty("state_names").EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static Observed Observe(Trainer trainer, StepReport report)
    {
        var state = trainer.Model.state_dict();
        var norms = StateNames.Select(name => state[name].to_type(ScalarType.Float64).norm().item<double>()).ToArray();
        var sums = StateNames.Select(name => state[name].to_type(ScalarType.Float64).sum().item<double>()).ToArray();
        var estimators = new Dictionary<string, Tensor>();
        if (trainer.Loss is { } loss)
        {
            foreach (var (name, estimator) in new[] { ("old", loss.Old), ("new", loss.New) })
            {
                estimators[$"{name}_ave"] = estimator.Ave.cpu().clone();
                estimators[$"{name}_amount"] = estimator.Amount.cpu().clone();
                estimators[$"{name}_kappa"] = estimator.Kappa.cpu().clone();
                estimators[$"{name}_logc"] = estimator.LogC.cpu().clone();
            }
        }
        report.Values.TryGetValue(Series.TrainSclLoss, out var scl);
        return new Observed(report.Values[Series.TrainCeLoss], scl, norms, sums, estimators);
    }

    /// <summary>
    /// The fixture's batches as a feed: the images of each epoch's order, in three fixed views (the image, mirrored
    /// left-right, upside down) for ProCo and the first alone for the baselines, normalised with CIFAR's mean and
    /// std in float32 as the generator's ToTensor and Normalize do.
    /// </summary>
    private sealed class FixtureFeed(TrainingConfig config, ImageDataset train, Tensor order) : ITrainingFeed
    {
        private static readonly float[] Mean = [0.4914f, 0.4822f, 0.4465f];
        private static readonly float[] Std = [0.2023f, 0.1994f, 0.2010f];
        private readonly Tensor _pixels = tensor(train.Pixels, [train.Count, 3, 32, 32], ScalarType.Byte);
        private readonly Tensor _labels = tensor(train.Labels);
        private int _epoch;

        public void StartEpoch(long[] ignored, int epoch, int firstStep) => _epoch = epoch;

        public PreparedBatch Next(int step)
        {
            using var scope = NewDisposeScope();
            var batch = config.BatchSize;
            var indices = order[_epoch].narrow(0, (long)step * batch, batch);
            var x = _pixels.index_select(0, indices);
            if (config.Method == "proco") x = cat([x, x.flip(3), x.flip(2)], 0);
            var views = x.to_type(ScalarType.Float32).div(255).sub(tensor(Mean).view(1, 3, 1, 1)).div(tensor(Std).view(1, 3, 1, 1));
            return new PreparedBatch(views.MoveToOuterDisposeScope(), _labels.index_select(0, indices).MoveToOuterDisposeScope(), []);
        }

        public void StopEpoch()
        {
        }

        public IEnumerable<PreparedBatch> Evaluation(IImageSplit split)
        {
            var test = (ImageDataset)split;
            using var scope = NewDisposeScope();
            var x = tensor(test.Pixels, [test.Count, 3, 32, 32], ScalarType.Byte).to_type(ScalarType.Float32)
                .div(255).sub(tensor(Mean).view(1, 3, 1, 1)).div(tensor(Std).view(1, 3, 1, 1));
            yield return new PreparedBatch(x.MoveToOuterDisposeScope(), tensor(test.Labels).MoveToOuterDisposeScope(), []);
        }

        public void Dispose()
        {
            _pixels.Dispose();
            _labels.Dispose();
        }
    }
}
