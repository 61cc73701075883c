using ProCo.Training.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace ProCo.Training.Losses;

/// <summary>
/// Running per-class estimate of a von Mises-Fisher distribution of normalised features:
/// the mean resultant vector <c>ave_c</c>, the number of samples seen, the concentration κ_c and
/// <c>log_c(ν, κ_c)</c>. State is float64 on the training device and never part of the graph.
/// </summary>
public sealed class VmfEstimator : IDisposable
{
    /// <summary>κ is clamped here, as published.</summary>
    public const double MaxKappa = 1e5;

    private readonly int _numClasses;
    private readonly int _featureDim;
    private readonly Device _device;

    /// <summary>Creates an estimator in its published reset state.</summary>
    public VmfEstimator(int numClasses, int featureDim, Device device, Generator? generator = null)
    {
        _numClasses = numClasses;
        _featureDim = featureDim;
        _device = device;
        Ave = zeros(numClasses, featureDim, ScalarType.Float64, device);
        Amount = zeros(numClasses, ScalarType.Float64, device);
        Kappa = zeros(numClasses, ScalarType.Float64, device);
        LogC = zeros(numClasses, ScalarType.Float64, device);
        Reset(generator);
    }

    /// <summary>Per-class mean of the normalised features seen (C × p).</summary>
    public Tensor Ave { get; private set; }

    /// <summary>Per-class number of samples seen (C).</summary>
    public Tensor Amount { get; private set; }

    /// <summary>Per-class concentration κ (C).</summary>
    public Tensor Kappa { get; private set; }

    /// <summary>Per-class <c>log_c(ν, κ)</c> (C).</summary>
    public Tensor LogC { get; private set; }

    /// <summary>ν = p/2 − 1.</summary>
    public double Nu => VmfNormalizer.NuOf(_featureDim);

    /// <summary>
    /// Published reset: random directions of norm 0.9, no samples, κ = p·0.9/(1 − 0.81) = p·90/19.
    /// </summary>
    public void Reset(Generator? generator = null)
    {
        using var scope = NewDisposeScope();
        // Drawn on the CPU (where seeded generators live), then moved to the training device.
        var directions = randn(_numClasses, _featureDim, ScalarType.Float64, generator: generator).to(_device);
        directions = nn.functional.normalize(directions, dim: 1) * 0.9;
        Replace(directions, zeros(_numClasses, ScalarType.Float64, _device));
        SetKappa(full(_numClasses, _featureDim * 90.0 / 19.0, ScalarType.Float64, _device));
    }

    /// <summary>
    /// Folds a batch into the running means. For class c with n_c &gt; 0 samples in the batch:
    /// w = n_c / (n_c + amount_c), ave_c ← ave_c (1 − w) + mean_c(z) w, amount_c += n_c.
    /// </summary>
    /// <param name="features">Normalised features (B × p), any float type; not differentiated.</param>
    /// <param name="labels">Class indices (B), int64.</param>
    public void Update(Tensor features, Tensor labels)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var z = features.detach().to_type(ScalarType.Float64);
        var onehot = nn.functional.one_hot(labels, _numClasses).to_type(ScalarType.Float64); // B × C
        var counts = onehot.sum(dim: 0); // C
        var sums = onehot.t().matmul(z); // C × p
        var means = sums / counts.clamp_min(1).unsqueeze(1);
        var weight = (counts / (counts + Amount)).nan_to_num(0).unsqueeze(1); // 0/0 → 0
        Replace(Ave * (1 - weight) + means * weight, Amount + counts);
    }

    /// <summary>κ_c = p R / (1 − R²) with R = ‖ave_c‖, set to 1e5 where it exceeds 1e5 or is negative.</summary>
    public void UpdateKappa()
    {
        using var scope = NewDisposeScope();
        var r = linalg.norm(Ave, dims: [1L]);
        var kappa = _featureDim * r / (1 - r * r);
        kappa = where(kappa.gt(MaxKappa).logical_or(kappa.lt(0)), full_like(kappa, MaxKappa), kappa);
        SetKappa(kappa);
    }

    /// <summary>Copies another estimator's state into this one.</summary>
    public void CopyFrom(VmfEstimator other)
    {
        using var scope = NewDisposeScope();
        Replace(other.Ave.clone(), other.Amount.clone());
        Kappa.Dispose();
        LogC.Dispose();
        Kappa = other.Kappa.clone().DetachFromDisposeScope();
        LogC = other.LogC.clone().DetachFromDisposeScope();
    }

    /// <summary>Restores a saved state (Ave, Amount, Kappa, LogC), e.g. from a checkpoint.</summary>
    public void Load(Tensor ave, Tensor amount, Tensor kappa, Tensor logc)
    {
        using var scope = NewDisposeScope();
        Replace(ave.to(ScalarType.Float64, _device).clone(), amount.to(ScalarType.Float64, _device).clone());
        Kappa.Dispose();
        LogC.Dispose();
        Kappa = kappa.to(ScalarType.Float64, _device).clone().DetachFromDisposeScope();
        LogC = logc.to(ScalarType.Float64, _device).clone().DetachFromDisposeScope();
    }

    private void Replace(Tensor ave, Tensor amount)
    {
        Ave.Dispose();
        Amount.Dispose();
        Ave = ave.DetachFromDisposeScope();
        Amount = amount.DetachFromDisposeScope();
    }

    private void SetKappa(Tensor kappa)
    {
        Kappa.Dispose();
        LogC.Dispose();
        Kappa = kappa.DetachFromDisposeScope();
        LogC = VmfNormalizer.LogC(Kappa, Nu).DetachFromDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Ave.Dispose();
        Amount.Dispose();
        Kappa.Dispose();
        LogC.Dispose();
    }
}
