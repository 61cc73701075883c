using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ProCo.Training.Models;

/// <summary>
/// How a forward pass computes: the floating-point type of the network's arithmetic and the memory
/// layout of its image activations. Weights stay float32 (the master copy the optimizer updates):
/// under a reduced type each convolution and linear layer casts its weight for the pass, and the
/// cast's backward hands float32 gradients to the weights. BatchNorm keeps float32 parameters and
/// running statistics whatever the input type.
/// </summary>
/// <param name="Type">Float32, BFloat16 or Float16.</param>
/// <param name="ChannelsLast">Image activations laid out channels-last (NHWC in memory).</param>
public sealed record ComputeMode(ScalarType Type, bool ChannelsLast)
{
    /// <summary>Float32 throughout, contiguous layout: the arithmetic of the public code.</summary>
    public static ComputeMode Fp32 { get; } = new(ScalarType.Float32, false);

    /// <summary>True when the network computes in a type narrower than float32.</summary>
    public bool IsReduced => Type != ScalarType.Float32;

    /// <summary>The network's input in this mode's type and layout.</summary>
    public Tensor Input(Tensor images)
    {
        var x = images.dtype == Type ? images : images.to_type(Type);
        return ChannelsLast && x.dim() == 4 ? ToChannelsLast(x) : x;
    }

    /// <summary>A convolution without bias, in this mode's type (stride, padding and groups as the module has them).</summary>
    public Tensor Conv(Conv2d conv, Tensor input, long stride, long padding, long groups = 1) =>
        IsReduced
            ? functional.conv2d(input, conv.weight!.to_type(Type), null, strides: [stride], padding: [padding], groups: groups)
            : conv.forward(input);

    /// <summary>
    /// A 1×1 convolution without bias as the matrix product it is: every pixel's channels times the
    /// weight (out × in), in this mode's type, on channels-last memory (the result is laid out so too).
    /// libtorch 2.7's oneDNN kernels for 1×1 convolutions are broken on this AVX-512 CPU: from 512 channels
    /// up the channels-last ones and the strided ones die with SIGFPE, and with a handful of channels the
    /// contiguous ones return NaN weight gradients. The product gives the same sums through the BLAS
    /// kernels, and the weight keeps its [out, in, 1, 1] shape for checkpoints and PyTorch weights.
    /// </summary>
    public Tensor Pointwise(Conv2d conv, Tensor input)
    {
        var weight = conv.weight!.flatten(1);
        if (IsReduced) weight = weight.to_type(Type);
        var x = input.dtype == weight.dtype ? input : input.to_type(weight.dtype);
        return functional.linear(x.permute(0, 2, 3, 1), weight).permute(0, 3, 1, 2);
    }

    /// <summary>A linear layer in this mode's type.</summary>
    public Tensor Linear(Linear linear, Tensor input) =>
        IsReduced
            ? functional.linear(input, linear.weight.to_type(Type), linear.bias?.to_type(Type))
            : linear.forward(input);

    /// <summary>The same values laid out channels-last (strides N, 1, W·C, C), still indexed as NCHW.</summary>
    public static Tensor ToChannelsLast(Tensor x) => x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
}
