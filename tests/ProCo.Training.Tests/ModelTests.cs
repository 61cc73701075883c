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
