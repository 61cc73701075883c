using ProCo.Training.Datasets;

namespace ProCo.Training.Engine;

/// <summary>
/// What a configuration costs before anything is built: trainable parameters (exact, as
/// <see cref="Models.ProCoModel.CountParameters"/> counts them), and an estimate of the memory one
/// training step needs (weights, gradients and momentum, plus the activations the backward pass keeps).
/// </summary>
/// <param name="Parameters">Trainable parameters of the network.</param>
/// <param name="ActivationBytes">Activations kept for the backward pass of one step (all views of one batch).</param>
/// <param name="StepBytes">Parameters ×3 (weights, gradients, momentum; float32) plus activations (in the compute type of the run's precision).</param>
public sealed record TrainingBudget(long Parameters, long ActivationBytes, long StepBytes)
{
    private const int FloatBytes = 4;

    /// <summary>Images a training step passes through the network per image of the batch: ProCo adds two contrastive views.</summary>
    public static int ViewsPerImage(TrainingConfig config) => TrainingMethods.ViewsPerImage(config.Method);

    /// <summary>The budget of <paramref name="config"/> on <paramref name="dataset"/> (channels, image size, classes).</summary>
    public static TrainingBudget Of(TrainingConfig config, DatasetInfo dataset) => Of(config, dataset.Channels, dataset.Size, dataset.NumClasses);

    /// <summary>The budget of <paramref name="config"/> on images of <paramref name="channels"/> × size² (the crop size for images on disk) in <paramref name="classes"/> classes.</summary>
    public static TrainingBudget Of(TrainingConfig config, int channels, int size, int classes) =>
        Models.Architectures.IsTorchvision(config.Arch)
            ? OfTorchvision(config, channels, size, classes)
            : OfCifar(config, channels, size, classes);

    // ResNet-50 / ResNeXt-50 as TorchvisionResNet builds them: parameters exactly, activations per map element kept for backward.
    private static TrainingBudget OfTorchvision(TrainingConfig config, int channels, int size, int classes)
    {
        var d = config.WidthDivisor;
        var (groups, perGroup) = config.Arch == Models.Architectures.ResNeXt50 ? (32, 4) : (1, 64);
        var stem = 64 / d;
        long parameters = (long)channels * stem * 49 + 2L * stem;
        double side = Math.Floor((size + 6 - 7) / 2.0) + 1;
        // Stem: conv, BN, ReLU at half size; max pooling to a quarter.
        double maps = 3.0 * stem * side * side;
        side = Math.Floor((side + 2 - 3) / 2.0) + 1;
        maps += stem * side * side;
        var inPlanes = stem;
        int[] blocks = [3, 4, 6, 3];
        int[] planes = [64, 128, 256, 512];
        for (var stage = 0; stage < 4; stage++)
        {
            var width = planes[stage] * perGroup / 64 * groups / d;
            var outPlanes = 4 * planes[stage] / d;
            var g = (int)System.Numerics.BigInteger.GreatestCommonDivisor(groups, width);
            for (var block = 0; block < blocks[stage]; block++)
            {
                var stride = stage > 0 && block == 0 ? 2 : 1;
                parameters += (long)inPlanes * width + 2L * width + (long)width * (width / g) * 9 + 2L * width + (long)width * outPlanes + 2L * outPlanes;
                if (stride != 1 || inPlanes != outPlanes) parameters += (long)inPlanes * outPlanes + 2L * outPlanes;
                maps += 3.0 * width * side * side; // 1×1: conv, BN, ReLU
                if (stride == 2) side = Math.Floor((side + 2 - 3) / 2.0) + 1;
                maps += 3.0 * width * side * side + 3.0 * outPlanes * side * side; // 3×3 triple; 1×1 conv, BN, sum
                inPlanes = outPlanes;
            }
        }
        var dim = inPlanes;
        // Head Linear(dim, dim)–BN–ReLU–Linear(dim, feat_dim); classifier dim × classes.
        parameters += (long)dim * dim + dim + 2L * dim + (long)dim * config.FeatDim + config.FeatDim;
        parameters += (long)dim * classes + (config.UseNorm ? 0 : classes);
        return Finish(config, parameters, maps);
    }

    private static TrainingBudget Finish(TrainingConfig config, long parameters, double mapsPerImage)
    {
        var images = (long)config.BatchSize * ViewsPerImage(config);
        // Gradient accumulation keeps one micro-batch's activations at a time.
        if (config.MicroBatch is { } micro && micro < config.BatchSize) images = (long)micro * ViewsPerImage(config);
        var valueBytes = PrecisionPlan.ActivationBytesOf(config.Precision, new TorchSharp.torch.Device(config.ResolvedDevice));
        var activations = (long)Math.Min(long.MaxValue / 8, mapsPerImage * valueBytes * images);
        return new TrainingBudget(parameters, activations, checked(parameters * 3 * FloatBytes) + activations);
    }

    private static TrainingBudget OfCifar(TrainingConfig config, int channels, int imageSize, int classes)
    {
        var n = (config.Depth - 2) / 6;
        int[] planes = [16 * config.Width, 32 * config.Width, 64 * config.Width];
        // conv1 and its BatchNorm.
        long parameters = (long)channels * planes[0] * 9 + 2L * planes[0];
        // Per map element kept for backward: conv output, BatchNorm output, ReLU output.
        double mapsPerImage = 3.0 * planes[0] * imageSize * imageSize;
        var inPlanes = planes[0];
        var size = (double)imageSize;
        for (var stage = 0; stage < 3; stage++)
        {
            var p = planes[stage];
            if (stage > 0) size = Math.Ceiling(size / 2);
            for (var block = 0; block < n; block++)
            {
                // Two 3×3 convolutions without bias, two BatchNorms (weight and bias); option-A shortcuts have no parameters.
                parameters += (long)inPlanes * p * 9 + (long)p * p * 9 + 4L * p;
                // Two (conv, BN, ReLU) triples and the residual sum.
                mapsPerImage += 7.0 * p * size * size;
                inPlanes = p;
            }
        }
        const int hidden = 512;
        var dim = planes[2];
        parameters += (long)dim * hidden + hidden + 2L * hidden + (long)hidden * config.FeatDim + config.FeatDim;
        parameters += (long)dim * classes + (config.UseNorm ? 0 : classes);
        return Finish(config, parameters, mapsPerImage);
    }
}
