using TorchSharp;
using static TorchSharp.torch;

namespace ProCo.Training.Numerics;

/// <summary>
/// The log-normaliser of the von Mises-Fisher distribution on the unit sphere of R^p,
/// <c>log_c(ν, κ) = log I_ν(κ) − ν log κ</c> with <c>ν = p/2 − 1</c>, and its derivative
/// <c>d log_c / dκ = I_{ν+1}(κ) / I_ν(κ)</c>, in float64 on any device, exact to about 1e-12
/// relative for ν ≥ 1 and κ from 1e-6 to 1e5.
/// </summary>
/// <remarks>
/// Two expansions, each used where it converges to double precision:
/// κ &lt; 30, the power series <c>I_ν(κ) = (κ/2)^ν Σ_m (κ²/4)^m / (m! Γ(ν+m+1))</c> with 64 terms;
/// κ ≥ 30, Debye's uniform asymptotic expansion (DLMF 10.41.3) with 12 correction terms.
/// The public ProCo code uses a Miller recurrence started at 2ν, which drifts once κ ≫ ν.
/// </remarks>
public static class VmfNormalizer
{
    /// <summary>Below this κ the power series is used, above it Debye's expansion.</summary>
    public const double SeriesLimit = 30;

    private const int SeriesTerms = 64;
    private const int DebyeTerms = 12;

    // Coefficients of the Debye polynomials u_k(t) = Σ_i U[k][i] t^i, k = 0..DebyeTerms.
    private static readonly double[][] U = DebyePolynomials(DebyeTerms);

    /// <summary>The smallest ν supported (feature dimension 4).</summary>
    public const double MinNu = 1;

    /// <summary>ν of the vMF distribution on the unit sphere of R^<paramref name="featureDim"/>.</summary>
    public static double NuOf(int featureDim) => featureDim / 2.0 - 1;

    /// <summary><c>log I_ν(κ) − ν log κ</c>, elementwise, as float64.</summary>
    public static Tensor LogC(Tensor kappa, double nu)
    {
        CheckNu(nu);
        using var scope = NewDisposeScope();
        var k = kappa.to_type(ScalarType.Float64);
        var small = k.lt(SeriesLimit);
        var series = SeriesLogC(k.clamp_max(SeriesLimit), nu);
        var debye = DebyeLogC(k.clamp_min(SeriesLimit), nu);
        return where(small, series, debye).MoveToOuterDisposeScope();
    }

    /// <summary><c>I_{ν+1}(κ) / I_ν(κ)</c>, elementwise, as float64 (always in (0, 1)).</summary>
    public static Tensor Ratio(Tensor kappa, double nu)
    {
        CheckNu(nu);
        using var scope = NewDisposeScope();
        var k = kappa.to_type(ScalarType.Float64);
        var small = k.lt(SeriesLimit);
        // Series: I_{ν+1}/I_ν = (κ/2)/(ν+1) · S_{ν+1}(κ) / S_ν(κ).
        var ks = k.clamp_max(SeriesLimit);
        var seriesRatio = ks / (2 * (nu + 1)) * SeriesSum(ks, nu + 1) / SeriesSum(ks, nu);
        // Debye: I_{ν+1}/I_ν = κ · exp(log_c(ν+1, κ) − log_c(ν, κ)).
        var kd = k.clamp_min(SeriesLimit);
        var debyeRatio = kd * (DebyeLogC(kd, nu + 1) - DebyeLogC(kd, nu)).exp();
        return where(small, seriesRatio, debyeRatio).MoveToOuterDisposeScope();
    }

    /// <summary>Scalar convenience for <see cref="LogC(Tensor, double)"/>.</summary>
    public static double LogC(double kappa, double nu)
    {
        using var k = tensor(kappa, ScalarType.Float64);
        using var r = LogC(k, nu);
        return r.item<double>();
    }

    /// <summary>Scalar convenience for <see cref="Ratio(Tensor, double)"/>.</summary>
    public static double Ratio(double kappa, double nu)
    {
        using var k = tensor(kappa, ScalarType.Float64);
        using var r = Ratio(k, nu);
        return r.item<double>();
    }

    private static void CheckNu(double nu)
    {
        if (!(nu >= MinNu))
            throw new ArgumentOutOfRangeException(nameof(nu), nu, "The vMF normaliser needs ν ≥ 1 (feature dimension ≥ 4).");
    }

    // S_ν(κ) = Σ_{m≥0} (κ²/4)^m / (m! (ν+1)_m), so that I_ν(κ) = (κ/2)^ν S_ν(κ) / Γ(ν+1).
    private static Tensor SeriesSum(Tensor k, double nu)
    {
        var q = k * k / 4;
        var term = ones_like(k);
        var sum = ones_like(k);
        for (var m = 1; m <= SeriesTerms; m++)
        {
            term = term * q / (m * (nu + m));
            sum = sum + term;
        }
        return sum;
    }

    // log_c = −ν log 2 − log Γ(ν+1) + log S_ν(κ)
    private static Tensor SeriesLogC(Tensor k, double nu) =>
        SeriesSum(k, nu).log() + (-nu * System.Math.Log(2) - SpecialFunctions.LogGamma(nu + 1));

    // With r = sqrt(ν² + κ²) and t = ν / r (DLMF 10.41.3, written for log I_ν(κ) − ν log κ):
    // log_c = r − ν log(ν + r) − ½ log(2πν) + ½ log t + log Σ_k u_k(t) / ν^k
    private static Tensor DebyeLogC(Tensor k, double nu)
    {
        var r = (k * k + nu * nu).sqrt();
        var t = nu / r;
        // Σ_k u_k(t)/ν^k folded into one polynomial in t whose coefficients depend on ν only.
        var coefficients = DebyeSumCoefficients(nu);
        var poly = full_like(k, coefficients[^1]);
        for (var i = coefficients.Length - 2; i >= 0; i--) poly = poly * t + coefficients[i];
        return r - nu * (r + nu).log() + t.log() * 0.5 + poly.log() - 0.5 * System.Math.Log(2 * System.Math.PI * nu);
    }

    private static double[] DebyeSumCoefficients(double nu)
    {
        var degree = U.Max(u => u.Length);
        var result = new double[degree];
        var scale = 1.0;
        foreach (var u in U)
        {
            for (var i = 0; i < u.Length; i++) result[i] += u[i] * scale;
            scale /= nu;
        }
        return result;
    }

    // u_0 = 1; u_{k+1}(t) = ½ t² (1 − t²) u_k'(t) + ⅛ ∫_0^t (1 − 5 s²) u_k(s) ds  (DLMF 10.41.9)
    private static double[][] DebyePolynomials(int count)
    {
        var polys = new double[count + 1][];
        polys[0] = [1.0];
        for (var k = 0; k < count; k++)
        {
            var u = polys[k];
            var next = new double[u.Length + 3];
            for (var i = 1; i < u.Length; i++)
            {
                // ½ t² (1 − t²) · i u_i t^(i−1)
                next[i + 1] += 0.5 * i * u[i];
                next[i + 3] -= 0.5 * i * u[i];
            }
            for (var i = 0; i < u.Length; i++)
            {
                // ⅛ ∫ (1 − 5 s²) u_i s^i ds
                next[i + 1] += u[i] / (8.0 * (i + 1));
                next[i + 3] -= 5 * u[i] / (8.0 * (i + 3));
            }
            polys[k + 1] = next;
        }
        return polys;
    }
}
