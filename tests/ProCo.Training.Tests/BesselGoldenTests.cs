using ProCo.Training.Numerics;
using static TorchSharp.torch;

namespace ProCo.Training.Tests;

public class BesselGoldenTests
{
    // relative 1e-9, absolute 1e-9 where the value is below 1 (golden/README.md)
    private static double Tolerance(double expected) => System.Math.Max(System.Math.Abs(expected), 1) * 1e-9;

    [Fact]
    public void LogC_MatchesGoldenForEveryDimensionAndKappa()
    {
        var checkedValues = 0;
        foreach (var c in Golden.Cases("bessel.json").EnumerateArray())
        {
            var dim = c.GetProperty("feature_dim").GetInt32();
            var nu = VmfNormalizer.NuOf(dim);
            Assert.Equal(c.GetProperty("nu").GetDouble(), nu);
            var kappa = c.GetProperty("kappa").Doubles();
            var expected = c.GetProperty("log_c").Doubles();
            using var k = tensor(kappa, ScalarType.Float64);
            using var logc = VmfNormalizer.LogC(k, nu);
            var actual = logc.data<double>().ToArray();
            for (var i = 0; i < kappa.Length; i++, checkedValues++)
                Golden.Near(expected[i], actual[i], Tolerance(expected[i]), $"log_c(dim {dim}, kappa {kappa[i]:R})");
        }
        Assert.True(checkedValues > 0);
    }

    [Fact]
    public void Ratio_MatchesGoldenAndStaysBelowOne()
    {
        foreach (var c in Golden.Cases("bessel.json").EnumerateArray())
        {
            var dim = c.GetProperty("feature_dim").GetInt32();
            var nu = VmfNormalizer.NuOf(dim);
            var kappa = c.GetProperty("kappa").Doubles();
            var expected = c.GetProperty("ratio").Doubles();
            using var k = tensor(kappa, ScalarType.Float64);
            using var ratio = VmfNormalizer.Ratio(k, nu);
            var actual = ratio.data<double>().ToArray();
            for (var i = 0; i < kappa.Length; i++)
            {
                Golden.Near(expected[i], actual[i], Tolerance(expected[i]), $"ratio(dim {dim}, kappa {kappa[i]:R})");
                Assert.True(actual[i] is > 0 and < 1, $"ratio(dim {dim}, kappa {kappa[i]}) = {actual[i]} is outside (0, 1)");
            }
        }
    }

    [Fact]
    public void Backward_OfLogNormalizer_IsTheBesselRatio()
    {
        foreach (var c in Golden.Cases("bessel.json").EnumerateArray())
        {
            var nu = VmfNormalizer.NuOf(c.GetProperty("feature_dim").GetInt32());
            var kappa = c.GetProperty("kappa").Doubles();
            var expected = c.GetProperty("ratio").Doubles();
            using var scope = NewDisposeScope();
            var k = tensor(kappa, ScalarType.Float64).requires_grad_();
            LogNormalizerFunction.Apply(k, nu).sum().backward();
            var grad = k.grad!.data<double>().ToArray();
            for (var i = 0; i < kappa.Length; i++)
                Golden.Near(expected[i], grad[i], Tolerance(expected[i]), $"d log_c/d kappa (nu {nu}, kappa {kappa[i]:R})");
        }
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(3.0)]
    [InlineData(10.0)]
    [InlineData(100.5)]
    [InlineData(1000.0)]
    public void LogGamma_SatisfiesTheRecurrenceAndKnownValues(double x)
    {
        // Γ(x+1) = x Γ(x)
        Golden.Near(SpecialFunctions.LogGamma(x) + System.Math.Log(x), SpecialFunctions.LogGamma(x + 1), 1e-12 * System.Math.Max(1, x), $"lgamma({x}+1)");
        Golden.Near(System.Math.Log(6), SpecialFunctions.LogGamma(4), 1e-13, "lgamma(4)");
        Golden.Near(0.5 * System.Math.Log(System.Math.PI), SpecialFunctions.LogGamma(0.5), 1e-13, "lgamma(1/2)");
    }

    [Fact]
    public void LogC_AtTinyKappa_TendsToItsClosedFormLimit()
    {
        // log_c → −ν log 2 − log Γ(ν+1) as κ → 0
        foreach (var dim in new[] { 16, 50, 128, 1024 })
        {
            var nu = VmfNormalizer.NuOf(dim);
            var limit = -nu * System.Math.Log(2) - SpecialFunctions.LogGamma(nu + 1);
            Golden.Near(limit, VmfNormalizer.LogC(1e-8, nu), 1e-12 * System.Math.Abs(limit), $"limit dim {dim}");
        }
    }
}
