using TorchSharp;
using static TorchSharp.torch;

namespace ProCo.Training.Tests;

public class TorchRuntimeTests
{
    [Fact]
    public void LibTorch_LoadsAndReportsItsVersion()
    {
        Assert.StartsWith("2.", TorchInfo.LibTorchVersion);
    }

    [Fact]
    public void ForwardBackward_OfSmallLinearLayer_GivesAnalyticGradient()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(1);
        var layer = nn.Linear(3, 1);
        var x = tensor(new float[] { 1, 2, 3, -1, 0, 4 }, new long[] { 2, 3 });
        var y = layer.forward(x).sum();
        y.backward();
        // d(sum(xW^T + b))/dW = column sums of x, d/db = batch size.
        var gradW = layer.weight!.grad!.data<float>().ToArray();
        Assert.Equal(new float[] { 0, 2, 7 }, gradW);
        Assert.Equal(2f, layer.bias!.grad!.item<float>());
    }
}
