using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ProCo.Training.Models;

/// <summary>
/// Basic residual block of the CIFAR ResNets (He et al. 2016) with option-A shortcuts: when the
/// shape changes, the identity is subsampled by 2 and zero-padded in channels (no parameters).
/// </summary>
public sealed class BasicBlock : Module<Tensor, Tensor>, IComputeModeBlock
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly bool _downsample;
    private readonly long _padChannels;
    private readonly long _stride;

    public BasicBlock(int inPlanes, int planes, int stride) : base(nameof(BasicBlock))
    {
        conv1 = Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(planes);
        conv2 = Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        _downsample = stride != 1 || inPlanes != planes;
        _padChannels = planes - inPlanes;
        _stride = stride;
        RegisterComponents();
    }

    /// <inheritdoc />
    public ComputeMode Mode { get; set; } = ComputeMode.Fp32;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        // In place where autograd allows it (BatchNorm's backward needs its input, not its output): fewer
        // activations allocated and written per step.
        var output = bn1.forward(Mode.Conv(conv1, input, _stride, 1)).relu_();
        output = bn2.forward(Mode.Conv(conv2, output, 1, 1));
        if (_downsample)
        {
            // The shortcut is x[:, :, ::2, ::2] padded with (planes - inPlanes)/2 zero channels on each side:
            // added to the channels it covers (the zero channels add nothing), with no padded copy.
            output.narrow(1, _padChannels / 2, input.shape[1])
                .add_(input[.., .., TensorIndex.Slice(null, null, 2), TensorIndex.Slice(null, null, 2)]);
        }
        else
        {
            output.add_(input);
        }
        return output.relu_().MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The CIFAR ResNet encoder (depth 6n+2: 8, 20, 32, 56, ...), widths 16w/32w/64w, global average
/// pooling; returns the pooled feature of <see cref="ImageEncoder.FeatureDim"/> = 64w values.
/// </summary>
public sealed class CifarResNet : ImageEncoder
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;

    public CifarResNet(int depth, int width, int inChannels) : base(nameof(CifarResNet))
    {
        if (depth < 8 || (depth - 2) % 6 != 0)
            throw new ArgumentOutOfRangeException(nameof(depth), depth, "A CIFAR ResNet has depth 6n+2 (8, 20, 32, 44, 56, ...).");
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), width, "Width multiplier must be at least 1.");
        var blocks = (depth - 2) / 6;
        int w1 = 16 * width, w2 = 32 * width, w3 = 64 * width;
        conv1 = Conv2d(inChannels, w1, 3, stride: 1, padding: 1, bias: false);
        bn1 = BatchNorm2d(w1);
        layer1 = Stage(w1, w1, blocks, 1);
        layer2 = Stage(w1, w2, blocks, 2);
        layer3 = Stage(w2, w3, blocks, 2);
        FeatureDim = w3;
        RegisterComponents();
    }

    /// <summary>As the public CIFAR code: Kaiming-normal convolutions (fan in, gain √2); BatchNorm keeps the framework's 1 and 0.</summary>
    public override void InitWeights()
    {
        using var noGrad = no_grad();
        foreach (var (_, module) in named_modules())
        {
            if (module is Conv2d conv) init.kaiming_normal_(conv.weight);
        }
    }

    private static Sequential Stage(int inPlanes, int planes, int blocks, int stride)
    {
        var modules = new List<Module<Tensor, Tensor>> { new BasicBlock(inPlanes, planes, stride) };
        for (var i = 1; i < blocks; i++) modules.Add(new BasicBlock(planes, planes, 1));
        return Sequential(modules);
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = bn1.forward(Mode.Conv(conv1, Mode.Input(input), 1, 1)).relu_();
        x = layer3.forward(layer2.forward(layer1.forward(x)));
        return functional.adaptive_avg_pool2d(x, 1).flatten(1).MoveToOuterDisposeScope();
    }
}
