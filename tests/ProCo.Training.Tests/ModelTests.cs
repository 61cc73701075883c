using ProCo.Training.Models;
using static TorchSharp.torch;

namespace ProCo.Training.Tests;

public class ModelTests
{
    [Theory]
    [InlineData(100, false, 569_972)]
    [InlineData(100, true, 569_872)]
    [InlineData(10, false, 564_122)]
    [InlineData(10, true, 564_112)]
    public void ResNet32_HasThePublishedParameterCounts(int classes, bool useNorm, long total)
    {
        using var model = new ProCoModel(new ModelSpec(32, 1, 3, classes, 128, useNorm));
        Assert.Equal(463_504, ProCoModel.CountParameters(model.Encoder));
        Assert.Equal(total, ProCoModel.CountParameters(model));
    }

    [Theory]
    [InlineData(8, 1, 1, 28)]
    [InlineData(20, 2, 3, 32)]
    public void Forward_GivesUnitFeaturesAndOneLogitPerClass(int depth, int width, int channels, int size)
    {
        using var scope = NewDisposeScope();
        using var model = new ProCoModel(new ModelSpec(depth, width, channels, 10, 32));
        model.eval();
        var output = model.forward(randn(4, channels, size, size));
        Assert.Equal([4L, 32], output.Features.shape);
        Assert.Equal([4L, 10], output.Logits.shape);
        var norms = linalg.norm(output.Features, dims: [1L]).data<float>().ToArray();
        Assert.All(norms, n => Assert.Equal(1f, n, 5));
    }

    [Fact]
    public void Depth_NotOfTheForm6nPlus2_IsRejected()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new CifarResNet(30, 1, 3));
        Assert.Contains("6n+2", error.Message, StringComparison.Ordinal);
    }
}

public class TrainingBudgetTests
{
    [Theory]
    [InlineData("cifar100", 32, 1, 128, false)]
    [InlineData("cifar100", 32, 1, 128, true)]
    [InlineData("cifar10", 20, 2, 64, false)]
    [InlineData("fashion-mnist", 8, 1, 16, false)]
    [InlineData("fashion-mnist", 14, 3, 32, true)]
    public void Parameters_AreExactlyWhatTheBuiltModelHas(string dataset, int depth, int width, int featDim, bool useNorm)
    {
        var info = ProCo.Training.Datasets.KnownDatasets.Get(dataset);
        var config = new ProCo.Training.Engine.TrainingConfig { Dataset = dataset, Depth = depth, Width = width, FeatDim = featDim, UseNorm = useNorm };
        using var model = new ProCoModel(new ModelSpec(depth, width, info.Channels, info.NumClasses, featDim, useNorm));
        Assert.Equal(ProCoModel.CountParameters(model), ProCo.Training.Engine.TrainingBudget.Of(config, info).Parameters);
    }

    [Fact]
    public void Activations_GrowWithBatchAndViews_AndTheIssuesAbsurdRunIsHuge()
    {
        var cifar = ProCo.Training.Datasets.KnownDatasets.Cifar100;
        var paper = new ProCo.Training.Engine.TrainingConfig { Dataset = "cifar100", Depth = 32, BatchSize = 256, Precision = "fp32" };
        var budget = ProCo.Training.Engine.TrainingBudget.Of(paper, cifar);
        // bf16 and fp16 keep half the bytes per activation; weights, gradients and momentum stay float32.
        var bf16 = ProCo.Training.Engine.TrainingBudget.Of(paper with { Precision = "bf16" }, cifar);
        Assert.Equal(budget.ActivationBytes, 2 * bf16.ActivationBytes);
        Assert.Equal(budget.StepBytes - budget.ActivationBytes, bf16.StepBytes - bf16.ActivationBytes);
        Assert.Equal(2 * budget.ActivationBytes, ProCo.Training.Engine.TrainingBudget.Of(paper with { BatchSize = 512 }, cifar).ActivationBytes);
        Assert.Equal(budget.ActivationBytes, 3 * ProCo.Training.Engine.TrainingBudget.Of(paper with { Method = "ce" }, cifar).ActivationBytes);
        // The paper's step (256 images, 3 views, ResNet-32) fits a few GiB, as it does on a GPU of the time.
        Assert.InRange(budget.StepBytes, 1L << 30, 8L << 30);
        // Depth 200, width 16, batch 65,536: terabytes.
        var absurd = ProCo.Training.Engine.TrainingBudget.Of(paper with { Depth = 200, Width = 16, BatchSize = 65_536 }, cifar);
        Assert.True(absurd.StepBytes > 1L << 40, $"{absurd.StepBytes:N0}");
    }
}
