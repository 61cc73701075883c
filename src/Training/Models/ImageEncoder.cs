using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ProCo.Training.Models;

/// <summary>A residual block whose arithmetic follows its encoder's <see cref="ComputeMode"/>.</summary>
public interface IComputeModeBlock
{
    /// <summary>Type and layout of the block's arithmetic (set through <see cref="ImageEncoder.Mode"/>).</summary>
    ComputeMode Mode { get; set; }
}

/// <summary>An encoder of the ProCo network: images in, a pooled feature of <see cref="FeatureDim"/> values out.</summary>
public abstract class ImageEncoder(string name) : Module<Tensor, Tensor>(name)
{
    private ComputeMode _mode = ComputeMode.Fp32;

    /// <summary>Length of the pooled feature vector.</summary>
    public int FeatureDim { get; protected init; }

    /// <summary>
    /// Type and layout of the encoder's arithmetic, handed to every block; the input is converted to it
    /// and the pooled feature comes out in its type.
    /// </summary>
    public ComputeMode Mode
    {
        get => _mode;
        set
        {
            _mode = value;
            foreach (var (_, module) in named_modules())
            {
                if (module is IComputeModeBlock block) block.Mode = value;
            }
        }
    }

    /// <summary>The public code's initialisation of the encoder's weights.</summary>
    public abstract void InitWeights();
}
