using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ProCo.Training.Models;

/// <summary>
/// torchvision's bottleneck block (ResNet V1.5: the stride on the 3×3 convolution), as the public
/// ProCo ImageNet code builds it: 1×1 → 3×3 (grouped for ResNeXt) → 1×1 (4× planes), each with
/// BatchNorm, and a 1×1 convolution with BatchNorm on the shortcut when the shape changes.
/// Module names follow torchvision's, so PyTorch weights load and export by name.
/// </summary>
public sealed class Bottleneck : Module<Tensor, Tensor>, IComputeModeBlock
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly Sequential? downsample;
    private readonly (Conv2d Conv, BatchNorm2d Norm)? _shortcut;
    private readonly long _stride;
    private readonly long _groups;

    /// <param name="inPlanes">Input channels.</param>
    /// <param name="width">Channels of the 3×3 convolution.</param>
    /// <param name="outPlanes">Output channels.</param>
    /// <param name="stride">Stride of the 3×3 convolution (and of the shortcut).</param>
    /// <param name="groups">Groups of the 3×3 convolution (32 for ResNeXt-50 32x4d).</param>
    public Bottleneck(int inPlanes, int width, int outPlanes, int stride, int groups) : base(nameof(Bottleneck))
    {
        conv1 = Conv2d(inPlanes, width, 1, bias: false);
        bn1 = BatchNorm2d(width);
        conv2 = Conv2d(width, width, 3, stride: stride, padding: 1, groups: groups, bias: false);
        bn2 = BatchNorm2d(width);
        conv3 = Conv2d(width, outPlanes, 1, bias: false);
        bn3 = BatchNorm2d(outPlanes);
        if (stride != 1 || inPlanes != outPlanes)
        {
            // torchvision's stride-2 1×1 convolution: every second row and column, then the 1×1 product
            // (ComputeMode.Pointwise, which says why); the same sums, the weight of the same shape.
            var shortcut = (Conv2d(inPlanes, outPlanes, 1, stride: 1, bias: false), BatchNorm2d(outPlanes));
            downsample = Sequential(("0", shortcut.Item1), ("1", shortcut.Item2));
            _shortcut = shortcut;
        }
        _stride = stride;
        _groups = groups;
        RegisterComponents();
    }

    /// <inheritdoc />
    public ComputeMode Mode { get; set; } = ComputeMode.Fp32;

    private Tensor Subsample(Tensor input) =>
        _stride == 1 ? input : input[.., .., TensorIndex.Slice(null, null, _stride), TensorIndex.Slice(null, null, _stride)];

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var output = bn1.forward(Mode.Pointwise(conv1, input)).relu_();
        output = bn2.forward(Mode.Conv(conv2, output, _stride, 1, _groups)).relu_();
        output = bn3.forward(Mode.Pointwise(conv3, output));
        var identity = _shortcut is { } s ? s.Norm.forward(Mode.Pointwise(s.Conv, Subsample(input))) : input;
        return output.add_(identity).relu_().MoveToOuterDisposeScope();
    }
}

/// <summary>
/// ResNet-50 and ResNeXt-50 (32x4d) encoders with torchvision's layout and names (conv1, bn1,
/// layer1-4, no fc): a 7×7 stride-2 stem, 3×3 max pooling, bottleneck stages of 3, 4, 6, 3 blocks,
/// global average pooling to a 2048-wide feature. A width divisor d > 1 builds the same graph with
/// every channel count divided by d (and ResNeXt's groups reduced to divide the narrower widths):
/// for tests and CPU trials, never a published row.
/// </summary>
public sealed class TorchvisionResNet : ImageEncoder
{
    private static readonly int[] BlocksPerStage = [3, 4, 6, 3];
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;

    /// <param name="arch">resnet50 or resnext50.</param>
    /// <param name="inChannels">Image channels (3).</param>
    /// <param name="widthDivisor">1 for torchvision's widths; a power of two up to 16 for reduced ones.</param>
    public TorchvisionResNet(string arch, int inChannels, int widthDivisor = 1) : base(nameof(TorchvisionResNet))
    {
        var (groups, widthPerGroup) = arch switch
        {
            Architectures.ResNet50 => (1, 64),
            Architectures.ResNeXt50 => (32, 4),
            _ => throw new ArgumentOutOfRangeException(nameof(arch), arch, "resnet50 or resnext50."),
        };
        if (widthDivisor < 1 || 64 % widthDivisor != 0)
            throw new ArgumentOutOfRangeException(nameof(widthDivisor), widthDivisor, "The width divisor divides 64: 1, 2, 4, 8, 16, 32 or 64.");
        var stem = 64 / widthDivisor;
        conv1 = Conv2d(inChannels, stem, 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(stem);
        var inPlanes = stem;
        Sequential Stage(int planes, int blocks, int stride)
        {
            // torchvision: width = planes · (width_per_group / 64) · groups, output = 4 · planes.
            var width = planes * widthPerGroup / 64 * groups / widthDivisor;
            var outPlanes = 4 * planes / widthDivisor;
            var g = (int)System.Numerics.BigInteger.GreatestCommonDivisor(groups, width);
            var modules = new List<Module<Tensor, Tensor>>();
            for (var i = 0; i < blocks; i++)
            {
                modules.Add(new Bottleneck(inPlanes, width, outPlanes, i == 0 ? stride : 1, g));
                inPlanes = outPlanes;
            }
            return Sequential(modules);
        }
        layer1 = Stage(64, BlocksPerStage[0], 1);
        layer2 = Stage(128, BlocksPerStage[1], 2);
        layer3 = Stage(256, BlocksPerStage[2], 2);
        layer4 = Stage(512, BlocksPerStage[3], 2);
        FeatureDim = inPlanes;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = bn1.forward(Mode.Conv(conv1, Mode.Input(input), 2, 3)).relu_();
        x = functional.max_pool2d(x, 3, 2, 1);
        x = layer4.forward(layer3.forward(layer2.forward(layer1.forward(x))));
        return functional.adaptive_avg_pool2d(x, 1).flatten(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// As torchvision and the public code: Kaiming-normal convolutions (fan out, gain √2); BatchNorm
    /// weights 1 and biases 0 (the framework's default already); no zero-initialised residual branch.
    /// </summary>
    public override void InitWeights()
    {
        using var noGrad = no_grad();
        foreach (var (_, module) in named_modules())
        {
            if (module is Conv2d conv) init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
        }
    }
}

/// <summary>The encoder architectures a run can train.</summary>
public static class Architectures
{
    /// <summary>The CIFAR ResNets of the public CIFAR code (depth 6n+2, 3×3 stem).</summary>
    public const string Cifar = "cifar";

    /// <summary>torchvision's ResNet-50.</summary>
    public const string ResNet50 = "resnet50";

    /// <summary>torchvision's ResNeXt-50 32x4d.</summary>
    public const string ResNeXt50 = "resnext50";

    /// <summary>True for the ImageNet-style encoders (7×7 stem, bottlenecks).</summary>
    public static bool IsTorchvision(string arch) => arch is ResNet50 or ResNeXt50;
}
