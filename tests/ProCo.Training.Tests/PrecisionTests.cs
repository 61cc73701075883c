using ProCo.Training.Datasets;
using ProCo.Training.Engine;
using ProCo.Training.Losses;
using ProCo.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ProCo.Training.Tests;

/// <summary>
/// Runs its class alone: xUnit runs test classes side by side, and the repeatability of a bf16 run is
/// a property of one process training one run (once, run beside another class, the two bf16 runs of
/// this class differed; alone they never have).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "Alone";
}

/// <summary>Mixed precision: what changes (the network's arithmetic) and what must not (weights, float64 terms, determinism).</summary>
[Collection(RunsAlone.Name)]
public sealed class PrecisionTests : IClassFixture<TrainerTests.FashionData>, IDisposable
{
    private readonly DatasetSplits _splits;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "proco-precision-" + Guid.NewGuid().ToString("N"));

    public PrecisionTests(TrainerTests.FashionData data) => _splits = data.Splits;

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static readonly ComputeMode Bf16 = new(ScalarType.BFloat16, ChannelsLast: true);

    // One ResNet-32 with the ProCo heads and one batch of 64 CIFAR-shaped images, the same weights in both modes.
    private static (ProCoOutput Fp32, ProCoOutput Bf16) BothModes(bool useNorm)
    {
        manual_seed(3);
        using var model = new ProCoModel(new ModelSpec(32, 1, 3, 100, 128, useNorm));
        using var images = randn([64, 3, 32, 32], generator: new Generator(5));
        using var noGrad = no_grad();
        // Evaluation mode after a few training batches, so BatchNorm's running statistics are realistic.
        model.train();
        for (var i = 0; i < 5; i++) model.forward(images);
        model.eval();
        var fp32 = model.forward(images);
        model.Mode = Bf16;
        var bf16 = model.forward(images);
        return (fp32, bf16);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bf16Logits_MatchFloat32_WithinTheStatedTolerance_AndComeOutFloat32(bool cosineClassifier)
    {
        var (fp32, bf16) = BothModes(cosineClassifier);
        // Features and logits leave the network in float32 in every mode.
        Assert.Equal(ScalarType.Float32, bf16.Logits.dtype);
        Assert.Equal(ScalarType.Float32, bf16.Features.dtype);
        // Tolerance: bf16 keeps 8 significant bits (relative rounding 2^-9 per value); through 31
        // convolutions the logits may move by up to 5% of their spread, and the top class stays
        // the same for nearly every image.
        var spread = fp32.Logits.std().item<float>();
        var worst = (bf16.Logits - fp32.Logits).abs().max().item<float>();
        Assert.True(worst <= 0.05 * spread, $"largest logit difference {worst} against a spread of {spread}");
        var sameTop = fp32.Logits.argmax(1).eq(bf16.Logits.argmax(1)).to_type(ScalarType.Float32).mean().item<float>();
        Assert.True(sameTop >= 0.95, $"top class agrees on {sameTop:P0} of the images");
        // The unit features point the same way: cosine above 0.999 for every image.
        var cosine = (fp32.Features * bf16.Features).sum(1).min().item<float>();
        Assert.True(cosine > 0.999, $"smallest cosine between the fp32 and bf16 features {cosine}");
    }

    [Fact]
    public void UnderBf16_TheVmfTermsStayFloat64_AndTheContrastLogitsStayFloat32()
    {
        var (_, bf16) = BothModes(false);
        using var loss = new ProCoLoss(100, 128, 0.1, CPU, new Generator(1));
        var labels = arange(64, ScalarType.Int64) % 100;
        var raw = loss.ContrastLogits64(bf16.Features, labels);
        Assert.Equal(ScalarType.Float64, raw.dtype);
        foreach (var state in new[] { loss.Old.Ave, loss.Old.Amount, loss.Old.Kappa, loss.Old.LogC, loss.New.Ave })
            Assert.Equal(ScalarType.Float64, state.dtype);
        Assert.Equal(ScalarType.Float32, loss.ContrastLogits(bf16.Features, labels).dtype);
        // Even features narrower than float32 give float32 logits, not bf16 ones.
        Assert.Equal(ScalarType.Float32, loss.ContrastLogits(bf16.Features.to_type(ScalarType.BFloat16), labels).dtype);
    }

    private (TrainingResult Result, RecordingSink Sink, Trainer Trainer) Train(TrainingConfig config, string dir, string? resume = null)
    {
        var sink = new RecordingSink();
        var trainer = new Trainer(config, TrainingData.Prepare(config, _splits));
        return (trainer.Run(sink, dir, resume), sink, trainer);
    }

    [Fact]
    public void ABf16Run_RepeatedWithTheSameSeed_GivesTheSameMetrics_AndFloat32Checkpoints()
    {
        var config = TrainerTests.Tiny with { Precision = PrecisionPlan.Bf16 };
        var (_, first, a) = Train(config, Path.Combine(_dir, "a"));
        var (_, second, b) = Train(config, Path.Combine(_dir, "b"));
        a.Dispose();
        b.Dispose();
        Assert.Equal(first.Steps.Select(s => s.Values[Series.TrainCeLoss]), second.Steps.Select(s => s.Values[Series.TrainCeLoss]));
        Assert.Equal(first.Steps.Select(s => s.Values[Series.TrainSclLoss]), second.Steps.Select(s => s.Values[Series.TrainSclLoss]));
        foreach (var (x, y) in first.Epochs.Zip(second.Epochs))
        {
            Assert.Equal(x.Values, y.Values);
            Assert.Equal(x.Vectors[VectorKinds.Kappa], y.Vectors[VectorKinds.Kappa]);
        }
        Assert.Contains(first.Logs, l => l.StartsWith("info: Device: cpu (auto). Precision: bf16 (as configured), channels-last", StringComparison.Ordinal));

        // The checkpoint says bf16 and holds float32 weights, BatchNorm statistics and optimizer state.
        var path = Path.Combine(_dir, "a", "last.ckpt");
        Assert.Equal(PrecisionPlan.Bf16, CheckpointFile.ReadMeta(path).Precision);
        using var model = new ProCoModel(a.Spec);
        using var optimizer = optim.SGD(model.parameters(), 0.1, 0.9);
        CheckpointFile.Load(path, model, optimizer, null);
        Assert.All(model.state_dict(), entry =>
            Assert.True(entry.Value.dtype is ScalarType.Float32 or ScalarType.Int64, $"{entry.Key} is {entry.Value.dtype}"));
        // And so does the PyTorch export of it.
        var exported = Path.Combine(_dir, "a", "weights.pt");
        using (var file = File.Create(exported)) PyTorchWeights.FromCheckpoint(path, file);
        Assert.All(PyTorchWeights.Read(exported).Where(t => t.Value.is_floating_point()), t => Assert.Equal(ScalarType.Float32, t.Value.dtype));
    }

    [Fact]
    public void AResumedRun_ContinuesInThePrecisionItStartedIn()
    {
        var bf16 = TrainerTests.Tiny with { Precision = PrecisionPlan.Bf16, Epochs = 1 };
        var (_, _, first) = Train(bf16, Path.Combine(_dir, "start"));
        first.Dispose();
        // Asked to continue in fp32 (or auto on a host that would choose fp32), the run keeps bf16.
        var (_, sink, resumed) = Train(bf16 with { Precision = PrecisionPlan.Fp32, Epochs = 2 }, Path.Combine(_dir, "start"),
            Path.Combine(_dir, "start", "last.ckpt"));
        using (resumed)
        {
            Assert.Equal(PrecisionPlan.Bf16, resumed.Precision.Name);
            Assert.Equal("as the run started", resumed.Precision.Reason);
            Assert.Equal(PrecisionPlan.Bf16, Assert.Single(sink.Starts).Precision);
        }
    }

    [Fact]
    public void Auto_IsFp32OnTheCpu_SayingWhatTheCpuOffers_AndChannelsLastOnlyForAReducedType()
    {
        var plan = PrecisionPlan.Resolve(PrecisionPlan.Auto, CPU);
        var native = HardwareSupport.CpuFlags.Contains("avx512_bf16") || HardwareSupport.CpuFlags.Contains("amx_bf16");
        Assert.Equal(PrecisionPlan.Fp32, plan.Name);
        Assert.StartsWith("auto: fp32 on the CPU, the public code's arithmetic (", plan.Reason, StringComparison.Ordinal);
        Assert.Contains(native ? "bf16 is opt-in" : "bf16 would be emulated", plan.Reason, StringComparison.Ordinal);
        // fp32 keeps the contiguous layout, whose BatchNorm statistics match the public code's (StepEquivalenceTests).
        Assert.False(plan.Mode.ChannelsLast);
        Assert.True(PrecisionPlan.Resolve(PrecisionPlan.Bf16, CPU).Mode.ChannelsLast);
        Assert.False(PrecisionPlan.Resolve(PrecisionPlan.Fp32, CPU).Mode.ChannelsLast);
        Assert.False(plan.LossScaling);
        if (HardwareSupport.FastFp16(CPU))
        {
            var fp16 = PrecisionPlan.Resolve(PrecisionPlan.Fp16, CPU);
            Assert.Equal((ScalarType.Float16, true, "as configured"), (fp16.Mode.Type, fp16.LossScaling, fp16.Reason));
        }
        Assert.Equal(ScalarType.Float32, PrecisionPlan.Resolve(PrecisionPlan.Fp32, CPU).Mode.Type);
        var error = Assert.Throws<ArgumentException>(() => PrecisionPlan.Resolve("fp8", CPU));
        Assert.StartsWith("Unknown precision 'fp8': use auto, fp32, bf16, fp16.", error.Message, StringComparison.Ordinal);
        Assert.Equal("Use auto or fp32 or bf16 or fp16.", (TrainerTests.Tiny with { Precision = "half" }).Validate()[nameof(TrainingConfig.Precision)]);
    }

    [Fact]
    public void LossScaler_SkipsAnOverflowingStep_HalvesItsScale_AndGrowsAfterTheInterval()
    {
        var scaler = new LossScaler();
        using var weight = new TorchSharp.Modules.Parameter(ones(3));
        weight.grad = tensor(new float[] { 1, float.PositiveInfinity, 2 });
        Assert.False(scaler.UnscaleAndCheck([weight]));
        Assert.Equal((LossScaler.InitialScale / 2, 0, 1L), (scaler.Scale, scaler.GoodSteps, scaler.SkippedSteps));
        // Finite gradients are divided by the scale, and the optimizer may step.
        weight.grad = tensor(new float[] { 32768, 65536, -16384 });
        Assert.True(scaler.UnscaleAndCheck([weight]));
        Assert.Equal(new float[] { 1, 2, -0.5f }, weight.grad!.data<float>().ToArray());
        for (var i = 1; i < LossScaler.GrowthInterval; i++) scaler.Update(true);
        Assert.Equal((LossScaler.InitialScale, 0), (scaler.Scale, scaler.GoodSteps));
        Assert.Throws<ArgumentOutOfRangeException>(() => scaler.Restore(double.NaN, 0));
    }

    [Fact]
    public void Fp16_OnACpuWithoutNativeFp16_IsRefusedWithTheReason_BeforeAnythingTrains()
    {
        var config = TrainerTests.Tiny with { Precision = PrecisionPlan.Fp16, Epochs = 1 };
        if (HardwareSupport.FastFp16(CPU))
        {
            // A CPU with native fp16 (avx512_fp16 or AMX-FP16) trains it, with the loss scale in its checkpoint.
            var (result, _, trainer) = Train(config, Path.Combine(_dir, "fp16"));
            trainer.Dispose();
            Assert.Equal(TrainingOutcome.Completed, result.Outcome);
            Assert.NotNull(CheckpointFile.ReadMeta(Path.Combine(_dir, "fp16", "last.ckpt")).LossScale);
            return;
        }
        var error = Assert.Throws<ArgumentException>(() => new Trainer(config, TrainingData.Prepare(config, _splits)));
        Assert.StartsWith("fp16 needs a CUDA GPU or a CPU with avx512_fp16 or AMX-FP16; this CPU has neither. Use bf16 or auto (or fp32).",
            error.Message, StringComparison.Ordinal);
    }
}
