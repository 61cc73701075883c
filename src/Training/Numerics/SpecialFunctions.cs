namespace ProCo.Training.Numerics;

/// <summary>Scalar special functions in float64 that .NET does not provide.</summary>
public static class SpecialFunctions
{
    // Stirling-series coefficients B_2k / (2k (2k-1)) for k = 1..8.
    private static readonly double[] Stirling =
    [
        1.0 / 12, -1.0 / 360, 1.0 / 1260, -1.0 / 1680, 1.0 / 1188, -691.0 / 360360, 1.0 / 156, -3617.0 / 122400,
    ];

    /// <summary>log Γ(x) for x &gt; 0, accurate to about 1e-15 relative.</summary>
    public static double LogGamma(double x)
    {
        if (!(x > 0)) throw new ArgumentOutOfRangeException(nameof(x), x, "LogGamma needs x > 0.");
        // Shift to x >= 16 with log Γ(x) = log Γ(x + n) - log(x (x+1) ... (x+n-1)), then Stirling.
        var shift = 0.0;
        while (x < 16)
        {
            shift += System.Math.Log(x);
            x += 1;
        }
        // log Γ(x) = (x - 1/2) log x - x + log(2π)/2 + Σ B_2k / (2k(2k-1) x^(2k-1))
        var inv = 1 / x;
        var inv2 = inv * inv;
        var series = 0.0;
        for (var k = Stirling.Length - 1; k >= 0; k--) series = series * inv2 + Stirling[k];
        return (x - 0.5) * System.Math.Log(x) - x + 0.5 * System.Math.Log(2 * System.Math.PI) + series * inv - shift;
    }
}
