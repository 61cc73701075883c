using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ProCo.Training.Models;

/// <summary>Architecture of a ProCo model; part of every checkpoint.</summary>
/// <param name="Depth">CIFAR ResNet depth (6n+2).</param>
/// <param name="Width">Width multiplier (1 = 16/32/64 channels).</param>
/// <param name="InChannels">1 (Fashion-MNIST) or 3 (CIFAR).</param>
/// <param name="NumClasses">Classifier outputs.</param>
/// <param name="FeatDim">Contrastive feature dimension (128 as published).</param>
/// <param name="UseNorm">Cosine classifier (normalised weights, scale 30) instead of linear.</param>
/// <param name="HiddenDim">Width of the projection MLP's hidden layer (512 in the public CIFAR code; the encoder's feature width, 2048, in its ImageNet code).</param>
/// <param name="Arch">Encoder: <see cref="Architectures.Cifar"/> (Depth and Width apply), resnet50 or resnext50 (WidthDivisor applies).</param>
/// <param name="WidthDivisor">ResNet-50/ResNeXt-50 channel counts divided by this (1 = torchvision's).</param>
public sealed record ModelSpec(int Depth, int Width, int InChannels, int NumClasses, int FeatDim = 128,
    bool UseNorm = false, int HiddenDim = 512, string Arch = Architectures.Cifar, int WidthDivisor = 1)
{
    /// <summary>The architecture a configuration builds for a dataset of <paramref name="inChannels"/> and <paramref name="numClasses"/>.</summary>
    public static ModelSpec For(Engine.TrainingConfig config, int inChannels, int numClasses)
    {
        if (!Architectures.IsTorchvision(config.Arch))
            return new ModelSpec(config.Depth, config.Width, inChannels, numClasses, config.FeatDim, config.UseNorm);
        // The public ImageNet code's head: Linear(2048, 2048), BN, ReLU, Linear(2048, feat_dim).
        var hidden = 2048 / config.WidthDivisor;
        return new ModelSpec(50, 1, inChannels, numClasses, config.FeatDim, config.UseNorm, hidden, config.Arch, config.WidthDivisor);
    }

    private string Family => Arch switch
    {
        Architectures.ResNet50 => "ResNet-50",
        Architectures.ResNeXt50 => "ResNeXt-50 (32x4d)",
        _ => $"resnet{Depth}",
    };

    /// <summary>The encoder's short name: "resnet32", "ResNet-50" or "ResNeXt-50 (32x4d)", with a channel divisor where there is one ("ResNet-50 ÷4").</summary>
    public string Encoder => Family + (Architectures.IsTorchvision(Arch) && WidthDivisor > 1 ? $" ÷{WidthDivisor}" : "");

    /// <summary>The encoder a configuration builds, named as <see cref="Encoder"/> names it (the runs list's recipe).</summary>
    public static string EncoderOf(Engine.TrainingConfig config) => For(config, 3, 1).Encoder;

    /// <summary>A short name, e.g. "resnet32 (width x1, 3 input channels) + ProCo heads, 100 classes, feat_dim 128, linear classifier".</summary>
    public string Describe()
    {
        var size = Architectures.IsTorchvision(Arch)
            ? WidthDivisor == 1 ? "" : $" (channels ÷{WidthDivisor})"
            : $" (width x{Width}, {InChannels} input channel{(InChannels == 1 ? "" : "s")})";
        return $"{Family}{size} + ProCo heads, {NumClasses} classes, feat_dim {FeatDim}, {(UseNorm ? "cosine" : "linear")} classifier";
    }
}

/// <summary>Cosine classifier: logits = s · normalize(x) · normalize(W) (s = 30).</summary>
public sealed class NormedLinear : Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double _scale;

    public NormedLinear(int inFeatures, int outFeatures, double scale = 30) : base(nameof(NormedLinear))
    {
        // As published: uniform(-1, 1) with every column rescaled to unit norm.
        weight = Parameter(empty(inFeatures, outFeatures));
        using (no_grad())
        {
            init.uniform_(weight, -1, 1);
            weight.copy_(functional.normalize(weight, dim: 0));
        }
        _scale = scale;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) =>
        functional.normalize(input, dim: 1).matmul(functional.normalize(weight, dim: 0)) * _scale;
}

/// <summary>What one forward pass gives.</summary>
/// <param name="Features">L2-normalised contrastive features (B × feat_dim).</param>
/// <param name="Logits">Classifier logits (B × classes).</param>
public readonly record struct ProCoOutput(Tensor Features, Tensor Logits);

/// <summary>
/// ProCo network: CIFAR ResNet or torchvision ResNet-50/ResNeXt-50 encoder; projection head
/// Linear(in, hidden)–BN–ReLU–Linear(hidden, feat_dim) whose output is L2-normalised (hidden 512 in
/// the public CIFAR code, the feature width in its ImageNet code); linear or cosine classifier on the
/// encoder feature.
/// </summary>
public sealed class ProCoModel : Module<Tensor, ProCoOutput>
{
    private readonly ImageEncoder encoder;
    private readonly Sequential head;
    private readonly Module<Tensor, Tensor> fc;
    // The head's layers by role (registered once, through the Sequential, under the public code's names).
    private readonly (Linear Hidden, BatchNorm1d Norm, Linear Output) _headLayers;

    public ProCoModel(ModelSpec spec) : base(nameof(ProCoModel))
    {
        Spec = spec;
        encoder = Architectures.IsTorchvision(spec.Arch)
            ? new TorchvisionResNet(spec.Arch, spec.InChannels, spec.WidthDivisor)
            : new CifarResNet(spec.Depth, spec.Width, spec.InChannels);
        var dim = encoder.FeatureDim;
        _headLayers = (Linear(dim, spec.HiddenDim), BatchNorm1d(spec.HiddenDim), Linear(spec.HiddenDim, spec.FeatDim));
        head = Sequential(("0", _headLayers.Hidden), ("1", _headLayers.Norm), ("2", ReLU()), ("3", _headLayers.Output));
        fc = spec.UseNorm ? new NormedLinear(dim, spec.NumClasses) : Linear(dim, spec.NumClasses);
        RegisterComponents();
        InitWeights();
    }

    /// <summary>The architecture.</summary>
    public ModelSpec Spec { get; }

    /// <summary>The encoder alone (for parameter counts).</summary>
    public ImageEncoder Encoder => encoder;

    /// <summary>
    /// Type and layout of the arithmetic. Under a reduced type the encoder and the head's hidden layer
    /// compute in it; the two output layers (projection and classifier) compute in float32 from the
    /// float32-widened feature, so features and logits are float32 in every mode: the vMF statistics
    /// of the features and the losses read them at full precision, for a cost of well under 1% of a step.
    /// </summary>
    public ComputeMode Mode
    {
        get => encoder.Mode;
        set => encoder.Mode = value;
    }

    public override ProCoOutput forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var mode = Mode;
        var feature = encoder.forward(input);
        var hidden = functional.relu(_headLayers.Norm.forward(mode.Linear(_headLayers.Hidden, feature)));
        var projected = functional.normalize(_headLayers.Output.forward(Widen(hidden)), dim: 1);
        var logits = fc.forward(Widen(feature));
        return new ProCoOutput(projected.MoveToOuterDisposeScope(), logits.MoveToOuterDisposeScope());
    }

    private static Tensor Widen(Tensor x) => x.dtype == ScalarType.Float32 ? x : x.to_type(ScalarType.Float32);

    /// <summary>Number of trainable parameters.</summary>
    public static long CountParameters(Module module) => module.parameters().Sum(p => p.numel());

    // As the public code: Kaiming-normal for the encoder's convolutions only (CIFAR: fan in, gain √2;
    // ImageNet: torchvision's fan out); the projection head and a linear classifier keep the
    // framework's default Linear initialisation (weights and biases uniform in ±1/√fan_in), the cosine
    // classifier its own (unit columns).
    private void InitWeights() => encoder.InitWeights();
}
