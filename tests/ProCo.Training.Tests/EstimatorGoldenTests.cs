using System.Text.Json;
using ProCo.Training.Losses;
using static TorchSharp.torch;

namespace ProCo.Training.Tests;

public class EstimatorGoldenTests
{
    private static Tensor Matrix(JsonElement element, ScalarType type) =>
        tensor(element.EnumerateArray().SelectMany(r => r.Doubles()).ToArray(),
            [element.GetArrayLength(), element[0].GetArrayLength()], ScalarType.Float64).to_type(type);

    private static void AssertClose(JsonElement expected, Tensor actual, double tolerance, string what)
    {
        var flatExpected = expected.ValueKind == JsonValueKind.Array && expected[0].ValueKind == JsonValueKind.Array
            ? expected.EnumerateArray().SelectMany(r => r.Doubles()).ToArray()
            : expected.Doubles();
        var flatActual = actual.to_type(ScalarType.Float64).flatten().data<double>().ToArray();
        Assert.Equal(flatExpected.Length, flatActual.Length);
        for (var i = 0; i < flatExpected.Length; i++) Golden.Near(flatExpected[i], flatActual[i], tolerance, $"{what}[{i}]");
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void OneProCoStep_ReproducesEstimatorsLogitsLossAndGradient(ScalarType featureType)
    {
        var cases = 0;
        foreach (var c in Golden.Cases("estimator.json").EnumerateArray())
        {
            using var scope = NewDisposeScope();
            var classes = c.GetProperty("num_classes").GetInt32();
            var dim = c.GetProperty("feature_dim").GetInt32();
            var counts = c.GetProperty("class_counts").Ints().Select(x => (long)x).ToArray();
            var labels = tensor(c.GetProperty("labels").Ints().Select(x => (long)x).ToArray());
            using var loss = new ProCoLoss(classes, dim, c.GetProperty("temperature").GetDouble(), CPU);
            using var ce = new LogitAdjustedLoss(counts, tau: 1, CPU);
            var none = zeros(classes, ScalarType.Float64);
            loss.Old.Load(Matrix(c.GetProperty("old_ave"), ScalarType.Float64), tensor(c.GetProperty("old_amount").Doubles()), none, none);
            loss.New.Load(Matrix(c.GetProperty("new_ave"), ScalarType.Float64), tensor(c.GetProperty("new_amount").Doubles()), none, none);

            var viewLosses = new List<double>();
            var v = 0;
            foreach (var view in c.GetProperty("views").EnumerateArray())
            {
                var what = $"case {cases} view {v++} ({featureType})";
                var features = Matrix(view.GetProperty("features"), featureType).requires_grad_();
                var logits = loss.ContrastLogits(features, labels);
                var viewLoss = ce.Forward(logits, labels);
                viewLoss.backward();

                AssertClose(view.GetProperty("old_ave_after"), loss.Old.Ave, 1e-6, what + " old ave");
                AssertClose(view.GetProperty("old_amount_after"), loss.Old.Amount, 1e-6, what + " old amount");
                AssertClose(view.GetProperty("old_kappa_after"), loss.Old.Kappa, 1e-6 * 100, what + " old kappa");
                AssertClose(view.GetProperty("old_logc_after"), loss.Old.LogC, 1e-6, what + " old logc");
                AssertClose(view.GetProperty("new_ave_after"), loss.New.Ave, 1e-6, what + " new ave");
                AssertClose(view.GetProperty("new_amount_after"), loss.New.Amount, 1e-6, what + " new amount");
                AssertClose(view.GetProperty("logits"), logits, 1e-4, what + " logits");
                Golden.Near(view.GetProperty("loss").GetDouble(), viewLoss.to_type(ScalarType.Float64).item<double>(), 1e-4, what + " loss");
                AssertClose(view.GetProperty("grad_features"), features.grad!, 1e-5, what + " grad");
                viewLosses.Add(viewLoss.to_type(ScalarType.Float64).item<double>());
            }
            Golden.Near(c.GetProperty("scl_loss").GetDouble(), viewLosses.Average(), 1e-4, $"case {cases} scl_loss");
            cases++;
        }
        Assert.True(cases > 0);
    }
}
