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
    public static int ViewsPerImage(TrainingConfig config) => config.Method == "proco" ? 3 : 1;

    /// <summary>The budget of <paramref name="config"/> on <paramref name="dataset"/> (channels, image size, classes).</summary>
    public static TrainingBudget Of(TrainingConfig config, DatasetInfo dataset)
    {
        var n = (config.Depth - 2) / 6;
        int[] planes = [16 * config.Width, 32 * config.Width, 64 * config.Width];
        // conv1 and its BatchNorm.
        long parameters = (long)dataset.Channels * planes[0] * 9 + 2L * planes[0];
        // Per map element kept for backward: conv output, BatchNorm output, ReLU output.
        double mapsPerImage = 3.0 * planes[0] * dataset.Size * dataset.Size;
        var inPlanes = planes[0];
        var size = (double)dataset.Size;
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
        parameters += (long)dim * dataset.NumClasses + (config.UseNorm ? 0 : dataset.NumClasses);
        var images = (long)config.BatchSize * ViewsPerImage(config);
        var valueBytes = PrecisionPlan.ActivationBytesOf(config.Precision, new TorchSharp.torch.Device(config.Device));
        var activations = (long)Math.Min(long.MaxValue / 8, mapsPerImage * valueBytes * images);
        return new TrainingBudget(parameters, activations, checked(parameters * 3 * FloatBytes) + activations);
    }
}
