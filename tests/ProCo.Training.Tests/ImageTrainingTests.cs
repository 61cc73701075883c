using ProCo.Tests;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;

namespace ProCo.Training.Tests;

/// <summary>
/// Real training of a width-reduced ResNet-50 on JPEG and PNG files decoded as it goes: the
/// epoch chosen on the validation split, the test split evaluated once, bad files skipped by path,
/// gradient accumulation, and a resume that continues exactly.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class ImageTrainingTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "proco-image-training-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    // fp32 as the public code, so a resumed run is compared to 1e-4.
    private static readonly TrainingConfig Small = new()
    {
        Dataset = "flowers",
        Precision = PrecisionPlan.Fp32,
        Arch = "resnet50",
        WidthDivisor = 16,
        CropSize = 32,
        ImbalanceFactor = 1,
        BatchSize = 6,
        MicroBatch = 3,
        Epochs = 2,
        Schedule = "cosine",
        WarmupEpochs = 0,
        LearningRate = 0.05,
        WeightDecay = 5e-4,
        Temperature = 0.07,
        FeatDim = 16,
        UseNorm = true,
        EvalBatchSize = 4,
        LoaderThreads = 2,
    };

    private static (TrainingResult Result, RecordingSink Sink) Train(TrainingConfig config, TrainingData data, string dir, string? resume = null,
        Func<StepReport, bool>? cancelAfter = null)
    {
        using var cancel = new CancellationTokenSource();
        var sink = new RecordingSink();
        if (cancelAfter is not null) sink.OnStep = report => { if (cancelAfter(report)) cancel.Cancel(); };
        using var trainer = new Trainer(config, data);
        return (trainer.Run(sink, dir, resume, cancel.Token), sink);
    }

    [Fact]
    public void ResNet50OnImageFiles_ChoosesTheEpochOnVal_TestsOnce_SkipsBadFiles_AndResumesExactly()
    {
        var tree = ImageTrees.SplitFolders(Path.Combine(_root, "tree"), [10, 6, 3], 2);
        var dataset = ImageFileDatasets.Resolve(new DatasetRequest("flowers", tree));
        var data = TrainingData.Prepare(Small, ImageFileDatasets.Load(dataset));
        Assert.Equal((21, 6, 6), (data.Train.Count, data.Val!.Count, data.Test.Count));

        var (result, straight) = Train(Small, data, Path.Combine(_root, "straight"));
        Assert.Equal(TrainingOutcome.Completed, result.Outcome);
        Assert.Equal(2, straight.Epochs.Count);
        Assert.All(straight.Steps, s => Assert.True(double.IsFinite(s.Values[Series.TrainCeLoss]) && s.Values[Series.TrainSclLoss] > 0));
        // Both bad files are skipped, each logged once by its path.
        Assert.Single(straight.Logs, l => l.Contains(Path.Combine(tree, "train", "apple", "zz_corrupt.jpg"), StringComparison.Ordinal));
        Assert.Single(straight.Logs, l => l.Contains(Path.Combine(tree, "train", "birch", "zz_truncated.jpg"), StringComparison.Ordinal) && l.Contains("truncated", StringComparison.Ordinal));
        // The epoch series are the validation split's; the best epoch's model is tested once.
        var valTop1 = straight.Epochs.Select(e => e.Values[Series.ValTop1]).ToArray();
        var chosen = Array.IndexOf(valTop1, valTop1.Max()) + 1;
        var test = Assert.Single(straight.Tests);
        Assert.Equal((2, chosen), (test.Epochs, test.ChosenEpoch));
        Assert.InRange(test.Values[Series.TestTop1], 0, 100);
        Assert.Equal(100.0 * Math.Round(test.Values[Series.TestTop1] * 6 / 100) / 6, test.Values[Series.TestTop1], 6);
        Assert.Contains(straight.Logs, l => l.Contains($"model of epoch {chosen} (best on validation", StringComparison.Ordinal));

        // Cancelled after step 2 of epoch 1, then resumed: epoch 2 and the test are what the straight run got.
        var stoppedDir = Path.Combine(_root, "stopped");
        var (stopped, _) = Train(Small, data, stoppedDir, cancelAfter: r => r.Epoch == 1 && r.StepInEpoch == 2);
        Assert.Equal(TrainingOutcome.Cancelled, stopped.Outcome);
        var (resumed, rest) = Train(Small, data, Path.Combine(_root, "resumed"), Path.Combine(stoppedDir, "last.ckpt"));
        Assert.Equal(TrainingOutcome.Completed, resumed.Outcome);
        var expectedSteps = straight.Steps.Where(s => s.GlobalStep > 2).Select(s => s.Values[Series.TrainCeLoss] + s.Values[Series.TrainSclLoss]).ToArray();
        var actualSteps = rest.Steps.Select(s => s.Values[Series.TrainCeLoss] + s.Values[Series.TrainSclLoss]).ToArray();
        Assert.Equal(expectedSteps.Length, actualSteps.Length);
        for (var i = 0; i < expectedSteps.Length; i++) Assert.True(Math.Abs(expectedSteps[i] - actualSteps[i]) <= 1e-4, $"step {i}: {expectedSteps[i]} vs {actualSteps[i]}");
        foreach (var (series, value) in straight.Epochs[^1].Values)
            Assert.True(Math.Abs(value - rest.Epochs[^1].Values[series]) <= 1e-4, $"{series}: {value} vs {rest.Epochs[^1].Values[series]}");
        Assert.Equal(test.Values[Series.TestTop1], Assert.Single(rest.Tests).Values[Series.TestTop1], 6);
    }

    private static bool Same(TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    [Fact]
    public void AResume_OnFilesThatChanged_IsRefused_NamingWhy()
    {
        var tree = ImageTrees.SplitFolders(Path.Combine(_root, "tree"), [8, 4], 1);
        var dataset = ImageFileDatasets.Resolve(new DatasetRequest("flowers", tree));
        var config = Small with { Epochs = 1, MicroBatch = null };
        var dir = Path.Combine(_root, "first");
        var (stopped, _) = Train(config, TrainingData.Prepare(config, ImageFileDatasets.Load(dataset)), dir, cancelAfter: r => r.StepInEpoch == 1);
        Assert.Equal(TrainingOutcome.Cancelled, stopped.Outcome);
        Assert.NotNull(CheckpointFile.ReadMeta(Path.Combine(dir, "last.ckpt")).DataFingerprint);

        // The same class counts (which a checkpoint checks as well), other files.
        File.Move(Path.Combine(tree, "train", "birch", "train_000.jpg"), Path.Combine(tree, "train", "birch", "renamed.jpg"));
        var changed = TrainingData.Prepare(config, ImageFileDatasets.Load(dataset));
        var error = Assert.Throws<InvalidDataException>(() => Train(config, changed, Path.Combine(_root, "second"), Path.Combine(dir, "last.ckpt")));
        Assert.Contains("was trained on other files of flowers", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnreadableImagesSetToFail_StopTheRunNamingTheFile()
    {
        var tree = ImageTrees.SplitFolders(Path.Combine(_root, "tree"), [8, 4], 1);
        var config = Small with { UnreadableImages = "fail", Epochs = 1, BatchSize = 13, MicroBatch = null };
        var data = TrainingData.Prepare(config, ImageFileDatasets.Load(ImageFileDatasets.Resolve(new DatasetRequest("flowers", tree))));
        var error = Assert.Throws<UnreadableImageException>(() => Train(config, data, Path.Combine(_root, "fail")));
        Assert.Contains(error.Path, new[] { Path.Combine(tree, "train", "apple", "zz_corrupt.jpg"), Path.Combine(tree, "train", "birch", "zz_truncated.jpg") });
    }

    [Fact]
    public void TheFeed_GivesTheSameBatchesWithOneLoaderThreadOrMany()
    {
        var tree = ImageTrees.SplitFolders(Path.Combine(_root, "tree"), [6, 6], 1);
        var train = (ImageFileSplit)ImageFileDatasets.Load(ImageFileDatasets.Resolve(new DatasetRequest("flowers", tree))).Train;
        long[] order = [.. Enumerable.Range(0, train.Count).Select(i => (long)i)];
        using var one = new FileFeed(Small with { LoaderThreads = 1 }, train, train.Mean, train.Std, TorchSharp.torch.CPU);
        using var many = new FileFeed(Small with { LoaderThreads = 4 }, train, train.Mean, train.Std, TorchSharp.torch.CPU);
        using var a = one.TrainBatch(order, 0, 0);
        using var b = many.TrainBatch(order, 0, 0);
        Assert.Equal([18L, 3, 32, 32], a.Views.shape);
        Assert.True(Same(a.Views, b.Views));
        Assert.True(Same(a.Labels, b.Labels));
        // The same images in another epoch get other views.
        using var c = many.TrainBatch(order, 1, 0);
        Assert.Equal(a.Labels.data<long>().ToArray(), c.Labels.data<long>().ToArray());
        Assert.False(Same(a.Views, c.Views));
    }
}
