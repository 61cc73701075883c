using ProCo.Training.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace ProCo.Training.Losses;

/// <summary>
/// ProCo's closed-form contrastive logits. Per class j the estimator pair keeps a vMF
/// distribution of the normalised features; the expected contrastive logit of a sample z is
/// <c>log_c(‖κ_j μ_j + z/τ‖) − log_c(κ_j)</c>, which the logit-adjusted cross-entropy then
/// turns into the contrastive loss.
/// </summary>
public sealed class ProCoLoss : IDisposable
{
    private readonly int _featureDim;

    /// <summary>Creates the estimator pair in its published reset state.</summary>
    public ProCoLoss(int numClasses, int featureDim, double temperature, Device device, Generator? generator = null)
    {
        if (temperature <= 0) throw new ArgumentOutOfRangeException(nameof(temperature), "Temperature must be positive.");
        _featureDim = featureDim;
        NumClasses = numClasses;
        Temperature = temperature;
        Old = new VmfEstimator(numClasses, featureDim, device, generator);
        New = new VmfEstimator(numClasses, featureDim, device, generator);
    }

    /// <summary>Number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>τ of the contrastive logits.</summary>
    public double Temperature { get; }

    /// <summary>The estimator the logits use: previous epoch's statistics plus this epoch's so far.</summary>
    public VmfEstimator Old { get; }

    /// <summary>The estimator that collects this epoch's statistics only.</summary>
    public VmfEstimator New { get; }

    /// <summary>At each epoch start: old takes the statistics new collected, new is reset.</summary>
    public void StartEpoch(Generator? generator = null)
    {
        Old.CopyFrom(New);
        New.Reset(generator);
    }

    /// <summary>
    /// One contrastive view: updates both estimators with the batch, refreshes the old estimator's κ,
    /// and returns the contrastive logits (B × C, differentiable w.r.t. <paramref name="features"/>) in
    /// float32, or float64 for float64 features: never narrower than float32, whatever the network computes in.
    /// </summary>
    /// <param name="features">L2-normalised features (B × p).</param>
    /// <param name="labels">Class indices (B).</param>
    public Tensor ContrastLogits(Tensor features, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var type = features.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        return ContrastLogits64(features, labels).to_type(type).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <see cref="ContrastLogits"/> before the final cast: the logits as computed, in float64, with
    /// ‖κ_j μ_j + z_i/τ‖ and the log-normaliser in float64 (the normaliser terms reach 1e5 while a logit is a difference).
    /// </summary>
    internal Tensor ContrastLogits64(Tensor features, Tensor labels)
    {
        Old.Update(features, labels);
        New.Update(features, labels);
        Old.UpdateKappa();

        using var scope = NewDisposeScope();
        var mu = nn.functional.normalize(Old.Ave, dim: 1); // C × p
        var kappaMu = Old.Kappa.unsqueeze(1) * mu; // C × p
        var z = features.to_type(ScalarType.Float64) / Temperature; // B × p
        var combined = kappaMu.unsqueeze(0) + z.unsqueeze(1); // B × C × p
        var norm = linalg.norm(combined, dims: [2L]); // B × C
        var logits = LogNormalizerFunction.Apply(norm, VmfNormalizer.NuOf(_featureDim)) - Old.LogC.unsqueeze(0);
        return logits.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Old.Dispose();
        New.Dispose();
    }
}
