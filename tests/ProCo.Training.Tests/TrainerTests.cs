using ProCo.Training.Datasets;
using ProCo.Training.Engine;

namespace ProCo.Training.Tests;

/// <summary>Keeps everything a trainer reports, in order.</summary>
public sealed class RecordingSink : IMetricSink
{
    public List<StepReport> Steps { get; } = [];
    public List<EpochReport> Epochs { get; } = [];
    public List<CheckpointReport> Checkpoints { get; } = [];
    public List<string> Logs { get; } = [];
    public List<TrainingStart> Starts { get; } = [];
    public Action<StepReport>? OnStep { get; set; }

    public void Started(TrainingStart start) => Starts.Add(start);

    public void Step(StepReport report)
    {
        Steps.Add(report);
        OnStep?.Invoke(report);
    }

    public void Epoch(EpochReport report) => Epochs.Add(report);
    public List<TestReport> Tests { get; } = [];
    public void Tested(TestReport report) => Tests.Add(report);
    public void Checkpoint(CheckpointReport report) => Checkpoints.Add(report);
    public void Log(string level, string message) => Logs.Add($"{level}: {message}");
    public int Flushes { get; private set; }
    public void Flush() => Flushes++;
}

/// <summary>Real training on a small Fashion-MNIST-LT subset (the Debian package's files).</summary>
public sealed class TrainerTests : IClassFixture<TrainerTests.FashionData>, IDisposable
{
    public sealed class FashionData
    {
        public DatasetSplits Splits { get; } = DatasetLoader.Load(new DatasetCatalog(Path.GetTempPath()), "fashion-mnist");
    }

    private readonly DatasetSplits _splits;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "proco-trainer-" + Guid.NewGuid().ToString("N"));

    public TrainerTests(FashionData data) => _splits = data.Splits;

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    // fp32, as the public code: the resume test compares numbers to 1e-4.
    internal static readonly TrainingConfig Tiny = new()
    {
        Precision = PrecisionPlan.Fp32,
        Dataset = "fashion-mnist",
        ImbalanceFactor = 0.1,
        MaxPerClass = 80,
        MaxTestPerClass = 20,
        Epochs = 2,
        WarmupEpochs = 1,
        BatchSize = 48,
        LearningRate = 0.05,
        Depth = 8,
        FeatDim = 32,
        Seed = 11,
        EvalBatchSize = 100,
    };

    // The embedded CPU demo (Fashion-MNIST-LT at imbalance 100, ResNet-8, 6 epochs; about a minute here)
    // must show what long-tailed training shows: the few-shot classes learn something, and per-class
    // accuracy ranks with class size.
    [Fact]
    public void CpuDemo_LearnsTheFewShotClasses_AndAccuracyRanksWithClassSize()
    {
        using var trainer = new Trainer(Presets.CpuDemo with { Seed = 1 }, TrainingData.Prepare(Presets.CpuDemo with { Seed = 1 }, _splits));
        trainer.Run(new RecordingSink(), _dir);
        var result = trainer.Evaluate();
        Assert.True(result.Shots.Few > 5, $"few-shot accuracy {result.Shots.Few}");
        var counts = TrainingData.Prepare(Presets.CpuDemo with { Seed = 1 }, _splits).ClassCounts.Select(c => (double)c).ToArray();
        var rho = ProCo.Training.Numerics.RankCorrelation.Spearman(counts, result.PerClassAccuracy);
        Assert.True(rho > 0.3, $"rank correlation of accuracy with class size {rho}");
        Assert.True(result.Top1 > 40, $"top-1 {result.Top1}");
    }

    [Fact]
    public void Prepare_RefusesASubsetThatLeavesAClassEmpty_NamingTheClass()
    {
        // Imbalance 100 over at most 50 images per class leaves the last two classes 0.83 and 0.5 images.
        var config = Tiny with { ImbalanceFactor = 0.01, MaxPerClass = 50, BatchSize = 16 };
        var error = Assert.Throws<ArgumentException>(() => TrainingData.Prepare(config, _splits));
        Assert.StartsWith("Classes 8, 9 get no training image: imbalance 100 leaves their share of the 50 images per class below one.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SubsetSeed_FixesTheLongTailedImagesWhileTheTrainingSeedVaries()
    {
        // The images drawn: the train set's pixel bytes identify them.
        byte[] Images(TrainingConfig c) => ((ImageDataset)TrainingData.Prepare(c, _splits).Train).Pixels;
        var bySeed = Images(Tiny);
        Assert.Equal(bySeed, Images(Tiny with { SubsetSeed = Tiny.Seed, Seed = 99 }));
        Assert.NotEqual(bySeed, Images(Tiny with { Seed = 99 }));
        Assert.NotEqual(bySeed, Images(Tiny with { SubsetSeed = 5 }));
        Assert.Equal(Images(Tiny with { SubsetSeed = 5 }), Images(Tiny with { SubsetSeed = 5, Seed = 3 }));
    }

    private (TrainingResult Result, RecordingSink Sink) Train(TrainingConfig config, string dir, string? resume = null, Func<StepReport, bool>? cancelAfter = null)
    {
        using var cancel = new CancellationTokenSource();
        var sink = new RecordingSink();
        if (cancelAfter is not null) sink.OnStep = report => { if (cancelAfter(report)) cancel.Cancel(); };
        using var trainer = new Trainer(config, TrainingData.Prepare(config, _splits));
        return (trainer.Run(sink, dir, resume, cancel.Token), sink);
    }

    [Fact]
    public void ProCo_OnFashionMnistLT_LossFallsAndReportsEveryPublishedSeries()
    {
        var (result, sink) = Train(Tiny with { Epochs = 3, MaxPerClass = 120 }, Path.Combine(_dir, "a"));
        Assert.Equal(TrainingOutcome.Completed, result.Outcome);
        var perEpoch = sink.Steps.GroupBy(s => s.Epoch).Select(g => g.Average(s => s.Values[Series.TrainCeLoss] + s.Values[Series.TrainSclLoss])).ToArray();
        Assert.True(perEpoch[^1] < perEpoch[0], $"mean loss per epoch did not fall: {string.Join(", ", perEpoch)}");
        Assert.Equal(3, sink.Epochs.Count);
        // 120 down to 12 images per class: one many-shot class, seven medium, two few.
        Assert.Equal((1, 7, 2), (sink.Epochs[^1].Shots.ManyClasses, sink.Epochs[^1].Shots.MediumClasses, sink.Epochs[^1].Shots.FewClasses));
        foreach (var series in Series.PerEpoch) Assert.True(double.IsFinite(sink.Epochs[^1].Values[series]), series);
        Assert.All(sink.Steps, s => Assert.True(s.Values[Series.TrainSclLoss] > 0));
        var kappa = sink.Epochs[^1].Vectors[VectorKinds.Kappa];
        Assert.Equal(10, kappa.Length);
        Assert.All(kappa, k => Assert.InRange(k, 1e-3, 1e5));
        Assert.Contains(sink.Checkpoints, c => c.Kind == "best");
        Assert.Equal(new[] { 1, 2, 3 }, sink.Checkpoints.Where(c => c.Kind == "last").Select(c => c.Epoch));
        Assert.Equal(3, sink.Flushes); // before each checkpoint write

    }

    [Fact]
    public void CpuDemoPreset_AsShipped_LearnsTheTailClasses()
    {
        // The embedded default, unchanged: Fashion-MNIST-LT at imbalance 100, ResNet-8, 6 epochs.
        var config = Presets.CpuDemo;
        var (result, sink) = Train(config, Path.Combine(_dir, "demo"));
        Assert.Equal(TrainingOutcome.Completed, result.Outcome);
        Assert.Equal(new long[] { 1000, 599, 359, 215, 129, 77, 46, 27, 16, 10 }, sink.Epochs[^1].Vectors[VectorKinds.ClassCounts].Select(c => (long)c));
        var last = sink.Epochs[^1].Values;
        // Chance is 10 %; the few-shot classes (fewer than 20 training images: Bag and Ankle boot) are recognised.
        Assert.True(last[Series.ValTop1] > 35, $"top-1 {last[Series.ValTop1]}");
        Assert.True(last[Series.ValFew] > 0, $"few-shot accuracy {last[Series.ValFew]}");
        var perEpoch = sink.Steps.GroupBy(s => s.Epoch).Select(g => g.Average(s => s.Values[Series.TrainCeLoss])).ToArray();
        Assert.True(perEpoch[^1] < perEpoch[0], $"mean CE loss per epoch did not fall: {string.Join(", ", perEpoch)}");
    }

    [Theory]
    [InlineData(1, 0)] // stopped at the end of epoch 1
    [InlineData(0, 3)] // cancelled mid-epoch 1, after 3 steps
    public void Resume_FromACheckpoint_EqualsAnUninterruptedRun(int completedEpochs, int stepsIntoEpoch)
    {
        var (_, straight) = Train(Tiny, Path.Combine(_dir, "straight"));
        var stoppedDir = Path.Combine(_dir, "stopped");
        var (stopped, _) = Train(Tiny, stoppedDir, cancelAfter: r =>
            completedEpochs == 1 ? r.Epoch == 1 && r.StepInEpoch == r.StepsPerEpoch : r.Epoch == 1 && r.StepInEpoch == stepsIntoEpoch);
        Assert.Equal(TrainingOutcome.Cancelled, stopped.Outcome);
        var meta = CheckpointFile.ReadMeta(Path.Combine(stoppedDir, "last.ckpt"));
        Assert.Equal((completedEpochs, stepsIntoEpoch, "cancelled"), (meta.CompletedEpochs, meta.StepInEpoch, meta.Reason));

        var (resumed, rest) = Train(Tiny, Path.Combine(_dir, "resumed"), Path.Combine(stoppedDir, "last.ckpt"));
        Assert.Equal(TrainingOutcome.Completed, resumed.Outcome);
        var expected = straight.Epochs.Single(e => e.Epoch == 2).Values;
        var actual = rest.Epochs.Single(e => e.Epoch == 2).Values;
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        // Tiny's head class has 80 images, so there is no many-shot class and no many-shot value.
        Assert.Equal(0, rest.Epochs[^1].Shots.ManyClasses);
        Assert.DoesNotContain(Series.ValMany, actual.Keys);
        Assert.Contains(Series.ValFew, actual.Keys);
        foreach (var series in expected.Keys)
            Assert.True(Math.Abs(expected[series] - actual[series]) <= 1e-4, $"{series}: {expected[series]} vs {actual[series]}");
        var expectedSteps = straight.Steps.Where(s => s.Epoch == 2).Select(s => s.Values[Series.TrainCeLoss] + s.Values[Series.TrainSclLoss]).ToArray();
        var actualSteps = rest.Steps.Where(s => s.Epoch == 2).Select(s => s.Values[Series.TrainCeLoss] + s.Values[Series.TrainSclLoss]).ToArray();
        Assert.Equal(expectedSteps.Length, actualSteps.Length);
        for (var i = 0; i < expectedSteps.Length; i++) Assert.True(Math.Abs(expectedSteps[i] - actualSteps[i]) <= 1e-4, $"step {i}: {expectedSteps[i]} vs {actualSteps[i]}");
    }

    [Fact]
    public void Checkpoint_RoundTrip_GivesIdenticalEvaluation()
    {
        var dir = Path.Combine(_dir, "ck");
        var config = Tiny with { Epochs = 1 };
        var data = TrainingData.Prepare(config, _splits);
        Evaluation before;
        using (var trainer = new Trainer(config, data))
        {
            trainer.Run(new RecordingSink(), dir);
            before = trainer.Evaluate();
        }
        using var fresh = new Trainer(config with { Seed = config.Seed }, data);
        var meta = fresh.LoadWeights(Path.Combine(dir, "last.ckpt"));
        var after = fresh.Evaluate();
        Assert.Equal(1, meta.CompletedEpochs);
        Assert.Equal(before.Top1, after.Top1);
        Assert.Equal(before.Loss, after.Loss, 6);
        Assert.Equal(before.PerClassAccuracy, after.PerClassAccuracy);
    }

    [Fact]
    public void Checkpoint_FromAnotherArchitecture_IsRefusedWithAClearMessage()
    {
        var dir = Path.Combine(_dir, "arch");
        var config = Tiny with { Epochs = 1 };
        Train(config, dir);
        var other = config with { Depth = 20 };
        using var trainer = new Trainer(other, TrainingData.Prepare(other, _splits));
        var error = Assert.Throws<InvalidDataException>(() => trainer.Run(new RecordingSink(), dir, Path.Combine(dir, "last.ckpt")));
        Assert.Contains("holds a resnet8", error.Message, StringComparison.Ordinal);
        Assert.Contains("builds a resnet20", error.Message, StringComparison.Ordinal);
    }
}
