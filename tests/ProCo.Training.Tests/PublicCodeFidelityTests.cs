using ProCo.Training.Datasets;
using ProCo.Training.Engine;
using ProCo.Training.Models;
using ProCo.Training.Numerics;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ProCo.Training.Tests;

/// <summary>The engine against the public ProCo code (LeapLabTHU/ProCo, ProCo_cifar): schedules, the long-tailed draw, initialisation.</summary>
public class PublicCodeFidelityTests
{
    // Values of the public main.py's adjust_lr (lr 0.3; warm-up 5 and [160, 180] at 200 epochs, 10 and
    // [360, 380] at 400, otherwise 5E // 200 and [0.8E, 0.9E]; cosine over (e - w + 1) / (E - w + 1)),
    // computed with Python from that function's formulas.
    [Theory]
    [InlineData(6, "step", 0, 0.3)]
    [InlineData(6, "step", 1, 0.3)]
    [InlineData(6, "step", 3, 0.3)]
    [InlineData(6, "step", 4, 0.3)]
    [InlineData(6, "step", 5, 0.03)]
    [InlineData(6, "cosine", 0, 0.28514533018536287)]
    [InlineData(6, "cosine", 1, 0.24352347027881002)]
    [InlineData(6, "cosine", 3, 0.11662185990655284)]
    [InlineData(6, "cosine", 4, 0.05647652972118997)]
    [InlineData(6, "cosine", 5, 0.014854669814637143)]
    [InlineData(30, "step", 0, 0.3)]
    [InlineData(30, "step", 1, 0.3)]
    [InlineData(30, "step", 4, 0.3)]
    [InlineData(30, "step", 5, 0.3)]
    [InlineData(30, "step", 9, 0.3)]
    [InlineData(30, "step", 10, 0.3)]
    [InlineData(30, "step", 15, 0.3)]
    [InlineData(30, "step", 23, 0.3)]
    [InlineData(30, "step", 24, 0.03)]
    [InlineData(30, "step", 27, 0.003)]
    [InlineData(30, "step", 29, 0.003)]
    [InlineData(30, "cosine", 0, 0.29923039850878425)]
    [InlineData(30, "cosine", 1, 0.29692949118787415)]
    [InlineData(30, "cosine", 4, 0.2811519924216873)]
    [InlineData(30, "cosine", 5, 0.27311451618109145)]
    [InlineData(30, "cosine", 9, 0.22934460154904435)]
    [InlineData(30, "cosine", 10, 0.21605912273364516)]
    [InlineData(30, "cosine", 15, 0.1424026246741931)]
    [InlineData(30, "cosine", 23, 0.03618628159608137)]
    [InlineData(30, "cosine", 24, 0.026885483818908557)]
    [InlineData(30, "cosine", 27, 0.006879111539992677)]
    [InlineData(30, "cosine", 29, 0.0007696014912157434)]
    [InlineData(200, "step", 0, 0.06)]
    [InlineData(200, "step", 1, 0.12)]
    [InlineData(200, "step", 4, 0.3)]
    [InlineData(200, "step", 5, 0.3)]
    [InlineData(200, "step", 9, 0.3)]
    [InlineData(200, "step", 10, 0.3)]
    [InlineData(200, "step", 100, 0.3)]
    [InlineData(200, "step", 159, 0.3)]
    [InlineData(200, "step", 160, 0.03)]
    [InlineData(200, "step", 180, 0.003)]
    [InlineData(200, "step", 199, 0.003)]
    [InlineData(200, "cosine", 0, 0.06)]
    [InlineData(200, "cosine", 1, 0.12)]
    [InlineData(200, "cosine", 4, 0.3)]
    [InlineData(200, "cosine", 5, 0.2999807318699897)]
    [InlineData(200, "cosine", 9, 0.2995185442124573)]
    [InlineData(200, "cosine", 10, 0.29930686694237973)]
    [InlineData(200, "cosine", 100, 0.15480773663574832)]
    [InlineData(200, "cosine", 159, 0.031241362128972053)]
    [InlineData(200, "cosine", 160, 0.029787956719806524)]
    [InlineData(200, "cosine", 180, 0.0076416379483997205)]
    [InlineData(200, "cosine", 199, 1.9268130010319238e-05)]
    [InlineData(400, "step", 0, 0.03)]
    [InlineData(400, "step", 1, 0.06)]
    [InlineData(400, "step", 4, 0.15)]
    [InlineData(400, "step", 5, 0.18)]
    [InlineData(400, "step", 9, 0.3)]
    [InlineData(400, "step", 10, 0.3)]
    [InlineData(400, "step", 200, 0.3)]
    [InlineData(400, "step", 319, 0.3)]
    [InlineData(400, "step", 320, 0.3)]
    [InlineData(400, "step", 360, 0.03)]
    [InlineData(400, "step", 399, 0.003)]
    [InlineData(400, "cosine", 0, 0.03)]
    [InlineData(400, "cosine", 1, 0.06)]
    [InlineData(400, "cosine", 4, 0.15)]
    [InlineData(400, "cosine", 5, 0.18)]
    [InlineData(400, "cosine", 9, 0.3)]
    [InlineData(400, "cosine", 10, 0.29999515821882466)]
    [InlineData(400, "cosine", 200, 0.15542228398381816)]
    [InlineData(400, "cosine", 319, 0.030661532914195416)]
    [InlineData(400, "cosine", 320, 0.029935230821922076)]
    [InlineData(400, "cosine", 360, 0.007680438138828405)]
    [InlineData(400, "cosine", 399, 4.8417811753076466e-06)]
    public void LearningRate_EqualsThePublicSchedule(int epochs, string schedule, int epoch, double expected)
    {
        var config = new TrainingConfig { Epochs = epochs, Schedule = schedule, LearningRate = 0.3 };
        Assert.Equal(expected, LearningRateSchedule.At(config, epoch), 15);
    }

    private static (int Class, int Count, int[] Kept)[] Fixture(string name) =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Fixtures", $"numpy-subset-{name}.txt"))
            .Where(l => !l.StartsWith('#'))
            .Select(l => l.Split(' ').Select(int.Parse).ToArray())
            .Select(v => (v[0], v[1], v[2..]))
            .ToArray();

    // The indices numpy keeps (Fixtures/numpy_subset.py, run once with Debian's python3-numpy): the
    // same draw in C# keeps the same images, in the same order.
    [Theory]
    [InlineData("cifar100-imb100", 100, 0.01)]
    [InlineData("cifar10-imb10", 10, 0.1)]
    public void PublicDraw_KeepsExactlyTheImagesNumpyKeeps(string name, int classes, double imbalance)
    {
        var expected = Fixture(name);
        var labels = Enumerable.Range(0, 50_000).Select(i => i % classes).ToArray();
        var counts = LongTail.Counts(50_000 / classes, classes, imbalance, ImbalanceProfile.Exponential);
        Assert.Equal(expected.Select(e => e.Count), counts);
        var drawn = LongTail.PublicDrawByClass(labels, classes, counts);
        for (var c = 0; c < classes; c++) Assert.Equal(expected[c].Kept, drawn[c]);
    }

    [Fact]
    public void TrainingTop1_CountsFromClassifierPlusAlphaTimesTheMeanContrastiveLogits()
    {
        // Two images, three classes: the classifier alone picks class 0 for both; with α = 1 the
        // contrastive logits move the second image to class 2 (0.5 + (3 + 1)/2 = 2.5 > 2), the first stays.
        var logits = tensor(new float[,] { { 2, 0, 0 }, { 2, 0, 0.5f } });
        var c1 = tensor(new float[,] { { 0, 1, 0 }, { 0, 0, 3 } });
        var c2 = tensor(new float[,] { { 0, 1, 0 }, { 0, 0, 1 } });
        var predicted = Trainer.TrainingPrediction(logits, c1, c2, alpha: 1).argmax(1).data<long>().ToArray();
        Assert.Equal([0L, 2L], predicted);
        Assert.Equal([0L, 0L], Trainer.TrainingPrediction(logits, c1, c2, alpha: 0).argmax(1).data<long>().ToArray());
        Assert.Equal(2.5f, Trainer.TrainingPrediction(logits, c1, c2, alpha: 1)[1, 2].item<float>());
    }

    [Fact]
    public void NumpyRandomState_GivesMt19937sReferenceOutput()
    {
        // MT19937 seeded with 5489 (its reference seed): the 10000th output is 4123659995.
        var random = new NumpyRandomState(5489);
        uint value = 0;
        for (var i = 0; i < 10_000; i++) value = random.NextUInt32();
        Assert.Equal(4123659995u, value);
    }

    [Fact]
    public void Initialisation_IsThePublicOne_LayerByLayer()
    {
        manual_seed(7);
        using var model = new ProCoModel(new ModelSpec(32, 1, 3, 100, 128, UseNorm: false));
        var convs = 0;
        foreach (var (name, module) in model.named_modules())
        {
            switch (module)
            {
                case Conv2d conv:
                {
                    // Kaiming-normal, fan in, gain √2: std √(2 / fan_in), mean 0.
                    var w = conv.weight;
                    var fanIn = w.shape[1] * w.shape[2] * w.shape[3];
                    var std = w.std().item<float>();
                    Assert.True(std / Math.Sqrt(2.0 / fanIn) is > 0.9 and < 1.1, $"{name}: std {std}, expected {Math.Sqrt(2.0 / fanIn)}");
                    var mean = w.mean().item<float>();
                    Assert.True(Math.Abs(mean) < 4 * std / Math.Sqrt(w.numel()), $"{name}: mean {mean}, std {std}, {w.numel()} weights");
                    convs++;
                    break;
                }
                case Linear linear:
                {
                    // The framework's default: weights and biases uniform in ±1/√fan_in (std = bound/√3), not Kaiming-normal.
                    var bound = 1 / Math.Sqrt(linear.weight.shape[1]);
                    Assert.True(linear.weight.abs().max().item<float>() <= bound + 1e-7, name);
                    Assert.InRange(linear.weight.std().item<float>() / (bound / Math.Sqrt(3)), 0.95, 1.05);
                    Assert.True(linear.bias!.abs().max().item<float>() <= bound + 1e-7, name);
                    break;
                }
                case BatchNorm2d bn:
                    Assert.Equal(bn.weight!.numel(), bn.weight.eq(1).sum().item<long>());
                    Assert.Equal(0, bn.bias!.abs().sum().item<float>());
                    break;
            }
        }
        Assert.Equal(31, convs);

        // The cosine classifier: uniform(-1, 1), every class column rescaled to unit norm.
        using var cosine = new ProCoModel(new ModelSpec(32, 1, 3, 100, 128, UseNorm: true));
        var weight = cosine.named_parameters().Single(p => p.name.StartsWith("fc", StringComparison.Ordinal)).parameter;
        Assert.Equal([64L, 100L], weight.shape);
        var norms = weight.norm(0, true, 2).data<float>().ToArray();
        Assert.All(norms, n => Assert.InRange(n, 0.99999f, 1.00001f));
    }
}

public class PublicAutoAugmentTests
{
    [Fact]
    public void Rotate_NeverDrawsANegativeAngle_WhileShearsTranslationsAndEnhancementsTakeBothSigns()
    {
        Assert.False(ProCo.Training.Augment.AutoAugment.IsSigned(ProCo.Training.Augment.AutoAugment.Op.Rotate));
        foreach (var op in new[] { ProCo.Training.Augment.AutoAugment.Op.ShearX, ProCo.Training.Augment.AutoAugment.Op.TranslateY, ProCo.Training.Augment.AutoAugment.Op.Color })
            Assert.True(ProCo.Training.Augment.AutoAugment.IsSigned(op), op.ToString());
    }
}
