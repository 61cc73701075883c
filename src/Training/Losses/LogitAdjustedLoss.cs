using static TorchSharp.torch;

namespace ProCo.Training.Losses;

/// <summary>
/// Logit-adjusted cross-entropy (Menon et al. 2021): <c>CE(logits + τ log π, y)</c> with π the
/// training class frequencies. τ = 0 gives plain cross-entropy.
/// </summary>
public sealed class LogitAdjustedLoss : IDisposable
{
    private readonly Tensor _adjustment;

    /// <param name="classCounts">Training images per class (all positive).</param>
    /// <param name="tau">Scale of the adjustment (1 as published; 0 for plain CE).</param>
    /// <param name="device">Training device.</param>
    public LogitAdjustedLoss(IReadOnlyList<long> classCounts, double tau, Device device)
    {
        if (classCounts.Any(c => c <= 0))
            throw new ArgumentException("Every class needs at least one training image for the logit adjustment.", nameof(classCounts));
        var total = classCounts.Sum(c => (double)c);
        var logPrior = classCounts.Select(c => (float)(tau * System.Math.Log(c / total))).ToArray();
        _adjustment = tensor(logPrior, device: device).unsqueeze(0);
    }

    /// <summary>Mean loss over the batch.</summary>
    public Tensor Forward(Tensor logits, Tensor labels) =>
        nn.functional.cross_entropy(logits + _adjustment.to_type(logits.dtype), labels);

    /// <inheritdoc />
    public void Dispose() => _adjustment.Dispose();
}
