using System.Diagnostics;
using ProCo.Training.Augment;
using ProCo.Training.Datasets;
using ProCo.Training.Losses;
using ProCo.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ProCo.Training.Engine;

/// <summary>How a call to <see cref="Trainer.Run"/> ended.</summary>
public enum TrainingOutcome
{
    Completed,
    Cancelled,
}

/// <summary>Result of a training call.</summary>
/// <param name="Outcome">Completed, or cancelled at a step boundary (a checkpoint was written).</param>
/// <param name="CompletedEpochs">Epochs finished.</param>
/// <param name="BestTop1">Best test top-1 (percent).</param>
public sealed record TrainingResult(TrainingOutcome Outcome, int CompletedEpochs, double BestTop1);

/// <summary>Evaluation of a model on the balanced test set.</summary>
/// <param name="Top1">Top-1 accuracy (percent).</param>
/// <param name="Loss">Mean loss of the method's criterion.</param>
/// <param name="PerClassAccuracy">Per-class accuracy (percent).</param>
/// <param name="Shots">Many / medium / few (percent).</param>
/// <param name="TestKappa">Per-class vMF concentration of the test images' contrastive features, κ = p R / (1 − R²).</param>
public sealed record Evaluation(double Top1, double Loss, double[] PerClassAccuracy, ShotAccuracy Shots, double[] TestKappa);

/// <summary>
/// Trains a ProCo model (or an LA / CE baseline) with the published recipe. Each step runs
/// synchronously inside one dispose scope and synchronises with the host once, to report its
/// numbers. Every random draw derives from (seed, epoch, step), so a run resumed from any
/// checkpoint continues exactly as an uninterrupted one.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly TrainingConfig _config;
    private readonly TrainingData _data;
    private readonly Device _device;
    private readonly ProCoModel _model;
    private readonly optim.Optimizer _optimizer;
    private readonly ProCoLoss? _proco;
    private readonly LogitAdjustedLoss _criterion;
    private readonly Augmenter _augmenter;
    private readonly Tensor _trainPixels;
    private readonly Tensor _trainLabels;
    private readonly Tensor _testPixels;
    private readonly Tensor _testLabels;
    private LossScaler? _scaler;

    /// <summary>Builds model, optimizer and losses on the configured device.</summary>
    public Trainer(TrainingConfig config, TrainingData data)
    {
        _config = config.Validated();
        _data = data;
        _device = new Device(_config.Device);
        if (_device.type == DeviceType.CUDA && !cuda.is_available())
            throw new InvalidOperationException($"Device {_config.Device} was asked for, but CUDA is not available in this build or on this machine.");

        NativeAllocator.Tune();
        manual_seed(_config.Seed);
        Spec = new ModelSpec(_config.Depth, _config.Width, data.Train.Channels, data.Train.NumClasses, _config.FeatDim, _config.UseNorm);
        _model = new ProCoModel(Spec);
        _model.to(_device);
        UsePrecision(PrecisionPlan.Resolve(_config.Precision, _device));
        _optimizer = optim.SGD(_model.parameters(), _config.LearningRate, _config.Momentum, weight_decay: _config.WeightDecay);
        _criterion = new LogitAdjustedLoss(data.ClassCounts, _config.Method == "ce" ? 0 : _config.LogitAdjustTau, _device);
        if (_config.Method == "proco")
            _proco = new ProCoLoss(data.Train.NumClasses, _config.FeatDim, _config.Temperature, _device, new Generator((ulong)_config.Seed));
        var dataset = KnownDatasets.Get(_config.Dataset);
        _augmenter = new Augmenter(dataset.Mean, dataset.Std, _device);

        _trainPixels = ToDevice(data.Train);
        _trainLabels = tensor(data.Train.Labels, device: _device);
        _testPixels = ToDevice(data.Test);
        _testLabels = tensor(data.Test.Labels, device: _device);
        StepsPerEpoch = data.Train.Count / _config.BatchSize;
    }

    /// <summary>The architecture being trained.</summary>
    public ModelSpec Spec { get; }

    /// <summary>The model (for evaluation and tests).</summary>
    public ProCoModel Model => _model;

    /// <summary>PyTorch weights a fresh run starts from (<see cref="TrainingConfig.InitFrom"/> resolved to a file); ignored when resuming.</summary>
    public string? InitialWeightsPath { get; set; }

    /// <summary>Optimisation steps per epoch (the last partial batch is dropped).</summary>
    public int StepsPerEpoch { get; }

    /// <summary>When set, every step records the wall time of its phases here (<c>proco bench</c>).</summary>
    public StepProfile? Profile { get; set; }

    /// <summary>The precision training computes in: the configured one resolved for the device, or, once <see cref="Run"/> resumes, the checkpoint's.</summary>
    public PrecisionPlan Precision { get; private set; } = null!;

    private void UsePrecision(PrecisionPlan plan)
    {
        Precision = plan;
        _model.Mode = plan.Mode;
        _scaler = plan.LossScaling ? new LossScaler() : null;
    }

    private Tensor ToDevice(ImageDataset set) =>
        tensor(set.Pixels, [set.Count, set.Channels, set.Height, set.Width], ScalarType.Byte).to(_device);

    /// <summary>
    /// Trains until the configured number of epochs or until <paramref name="cancellationToken"/> fires,
    /// resuming from <paramref name="resumeFrom"/> when given. Checkpoints go to
    /// <paramref name="checkpointDir"/> (last.ckpt every epoch end and on cancellation, best.ckpt).
    /// </summary>
    public TrainingResult Run(IMetricSink sink, string checkpointDir, string? resumeFrom = null, CancellationToken cancellationToken = default)
    {
        var startEpoch = 0;
        var startStep = 0;
        long globalStep = 0;
        var best = 0.0;
        var bestEpoch = 0;
        if (resumeFrom is not null)
        {
            var meta = CheckpointFile.Load(resumeFrom, _model, _optimizer, _proco, _data.ClassCounts, _config.Dataset);
            (startEpoch, startStep, globalStep, best, bestEpoch) = (meta.CompletedEpochs, meta.StepInEpoch, meta.GlobalStep, meta.BestTop1, meta.BestEpoch);
            // A run continues in the precision it started in, whatever auto would choose on this host.
            var started = meta.Precision ?? PrecisionPlan.Fp32;
            if (started != Precision.Name) UsePrecision(PrecisionPlan.For(started, _device, "as the run started"));
            if (_scaler is not null && meta.LossScale is { } scale) _scaler.Restore(scale, meta.LossScaleGoodSteps ?? 0);
            sink.Log("info", $"Resumed from {resumeFrom}: {meta.CompletedEpochs} epochs done" +
                             (meta.StepInEpoch > 0 ? $", {meta.StepInEpoch} steps into epoch {meta.CompletedEpochs + 1}" : "") + ".");
        }
        else
        {
            if (InitialWeightsPath is { } initial)
            {
                Models.PyTorchWeights.LoadInto(_model, Models.PyTorchWeights.Read(initial));
                sink.Log("info", $"Initialised from the PyTorch weights {Path.GetFileName(initial)}.");
            }
            sink.Log("info", $"Training {Spec.Describe()} with {_config.Method} on {_data.Train.Name}: {_data.Train.Count} training images " +
                             $"({string.Join("/", _data.ClassCounts)} per class), {_data.Test.Count} test images, {StepsPerEpoch} steps per epoch.");
        }
        sink.Log("info", $"Precision: {Precision}.");
        sink.Started(new TrainingStart(StepsPerEpoch, Precision.Name, Precision.ToString()));

        for (var epoch = startEpoch; epoch < _config.Epochs; epoch++)
        {
            var watch = Stopwatch.StartNew();
            var firstStep = epoch == startEpoch ? startStep : 0;
            // Stop before the epoch-start swap of the estimators, so the checkpoint is the epoch boundary itself.
            if (cancellationToken.IsCancellationRequested) return Cancel(sink, checkpointDir, epoch, firstStep, globalStep, best, bestEpoch);
            var lr = LearningRateSchedule.At(_config, epoch);
            foreach (var group in _optimizer.ParamGroups) group.LearningRate = lr;
            if (firstStep == 0) _proco?.StartEpoch(new Generator((ulong)Seeds.Mix(_config.Seed, epoch, -1)));

            _model.train();
            using var order = EpochOrder(epoch);
            double correct = 0;
            long seen = 0;
            for (var step = firstStep; step < StepsPerEpoch; step++)
            {
                if (step > firstStep && cancellationToken.IsCancellationRequested)
                    return Cancel(sink, checkpointDir, epoch, step, globalStep, best, bestEpoch);
                var (ce, scl, hits) = TrainStep(order, epoch, step);
                globalStep++;
                correct += hits;
                seen += _config.BatchSize;
                sink.Step(new StepReport(epoch + 1, globalStep, step + 1, StepsPerEpoch, new Dictionary<string, double>
                {
                    [Series.TrainCeLoss] = ce,
                    [Series.TrainSclLoss] = scl,
                    [Series.LearningRate] = lr,
                }));
            }

            var evaluation = Evaluate();
            if (bestEpoch == 0 || evaluation.Top1 > best)
            {
                best = evaluation.Top1;
                bestEpoch = epoch + 1;
            }
            var values = new Dictionary<string, double>
            {
                [Series.TrainTop1] = seen > 0 ? 100 * correct / seen : double.NaN,
                [Series.ValCeLoss] = evaluation.Loss,
                [Series.ValTop1] = evaluation.Top1,
            };
            // A shot group with no class (no many-shot class when the head has 100 images or fewer)
            // has no accuracy: its series gets no point rather than a 0 that reads as a failure.
            var shots = evaluation.Shots;
            if (shots.ManyClasses > 0) values[Series.ValMany] = shots.Many;
            if (shots.MediumClasses > 0) values[Series.ValMedium] = shots.Medium;
            if (shots.FewClasses > 0) values[Series.ValFew] = shots.Few;
            var vectors = new Dictionary<string, double[]>
            {
                [VectorKinds.Accuracy] = evaluation.PerClassAccuracy,
                [VectorKinds.TestKappa] = evaluation.TestKappa,
                [VectorKinds.ClassCounts] = _data.ClassCounts.Select(c => (double)c).ToArray(),
            };
            if (_proco is not null) vectors[VectorKinds.Kappa] = _proco.Old.Kappa.cpu().data<double>().ToArray();
            sink.Epoch(new EpochReport(epoch + 1, _config.Epochs, globalStep, values, vectors, watch.Elapsed, evaluation.Shots));

            WriteCheckpoint(sink, checkpointDir, "last", epoch + 1, 0, globalStep, best, bestEpoch, "epoch-end");
            if (bestEpoch == epoch + 1) CopyAsBest(sink, checkpointDir, epoch + 1);
        }
        return new TrainingResult(TrainingOutcome.Completed, _config.Epochs, best);
    }

    private TrainingResult Cancel(IMetricSink sink, string checkpointDir, int epoch, int step, long globalStep, double best, int bestEpoch)
    {
        WriteCheckpoint(sink, checkpointDir, "last", epoch, step, globalStep, best, bestEpoch, "cancelled");
        sink.Log("info", step == 0
            ? $"Cancelled after epoch {epoch}; checkpoint written."
            : $"Cancelled at epoch {epoch + 1}, after step {step} of {StepsPerEpoch}; checkpoint written.");
        return new TrainingResult(TrainingOutcome.Cancelled, epoch, best);
    }

    // The epoch's sample order, drawn from (seed, epoch).
    private Tensor EpochOrder(int epoch)
    {
        var order = Enumerable.Range(0, _data.Train.Count).Select(i => (long)i).ToArray();
        new Random(Seeds.Mix(_config.Seed, epoch, -2)).Shuffle(order);
        return tensor(order, device: _device);
    }

    // Gathers a step's images and draws its views, in the network's input type and layout; every draw
    // derives from (seed, epoch, step). Preparing the next step's views on another thread while a step
    // computes was measured and dropped: on two cores a bf16 step took 1.67 s instead of 1.11 s, as
    // every op's static split between the cores stalls whenever one of them is lent to that thread.
    private (Tensor Views, Tensor Labels) PrepareBatch(Tensor order, int epoch, int step)
    {
        using var scope = NewDisposeScope();
        var batch = _config.BatchSize;
        var indices = order.narrow(0, (long)step * batch, batch);
        var pixels = _trainPixels.index_select(0, indices);
        var labels = _trainLabels.index_select(0, indices);
        var stepSeed = Seeds.Mix(_config.Seed, epoch, step);
        var random = new Random(stepSeed);
        var generator = new Generator((ulong)stepSeed);
        var views = _augmenter.RegularView(pixels, random, generator);
        if (_proco is not null)
        {
            var view1 = _augmenter.ContrastiveView(pixels, random, generator);
            var view2 = _augmenter.ContrastiveView(pixels, random, generator);
            views = cat([views, view1, view2], 0);
        }
        return (_model.Mode.Input(views).MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
    }

    private (double Ce, double Scl, double Correct) TrainStep(Tensor order, int epoch, int step)
    {
        using var scope = NewDisposeScope();
        Profile?.Begin();
        var batch = _config.BatchSize;
        var (views, labels) = PrepareBatch(order, epoch, step);
        Tensor ce, scl, logits, predicted;
        Profile?.Mark("data");
        if (_proco is not null)
        {
            var output = _model.forward(views);
            Profile?.Mark("forward");
            logits = output.Logits.narrow(0, 0, batch);
            ce = _criterion.Forward(logits, labels);
            // Loss = LA-CE(view 0 logits) + α · mean over views 1-2 of LA-CE(contrastive logits)
            var contrast1 = _proco.ContrastLogits(output.Features.narrow(0, batch, batch), labels);
            var contrast2 = _proco.ContrastLogits(output.Features.narrow(0, 2L * batch, batch), labels);
            scl = (_criterion.Forward(contrast1, labels) + _criterion.Forward(contrast2, labels)) / 2;
            predicted = TrainingPrediction(logits, contrast1, contrast2, _config.Alpha);
        }
        else
        {
            logits = _model.forward(views).Logits;
            Profile?.Mark("forward");
            ce = _criterion.Forward(logits, labels);
            scl = zeros_like(ce);
            predicted = logits.detach();
        }
        var loss = ce + _config.Alpha * scl;
        Profile?.Mark("loss");
        _optimizer.zero_grad();
        (_scaler?.ScaleLoss(loss) ?? loss).backward();
        Profile?.Mark("backward");
        // Under fp16 a step whose gradients overflowed is skipped (and the loss scale halves).
        if (_scaler?.UnscaleAndCheck(_model.parameters()) ?? true) _optimizer.step();
        Profile?.Mark("update");

        var hits = predicted.argmax(1).eq(labels).sum().to_type(ScalarType.Float32);
        // The one host synchronisation of the step: the numbers it reports.
        var stats = stack([ce.detach().to_type(ScalarType.Float32), scl.detach().to_type(ScalarType.Float32), hits]).cpu().data<float>().ToArray();
        Profile?.Mark("report");
        if (!float.IsFinite(stats[0]) || !float.IsFinite(stats[1]))
            throw new InvalidOperationException($"The loss became {stats[0]} (CE) / {stats[1]} (SCL) at epoch {epoch + 1}, step {step + 1}: lower the learning rate.");
        return (stats[0], stats[1], stats[2]);
    }

    /// <summary>
    /// The scores ProCo's training top-1 is counted from, as the public code counts it: the classifier
    /// logits plus α times the mean of the two views' contrastive logits (detached).
    /// </summary>
    public static Tensor TrainingPrediction(Tensor logits, Tensor contrast1, Tensor contrast2, double alpha) =>
        logits.detach() + alpha * (contrast1.detach() + contrast2.detach()) / 2;

    /// <summary>Top-1, loss, per-class and many/medium/few accuracy on the balanced test set.</summary>
    public Evaluation Evaluate()
    {
        _model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var classes = _data.Test.NumClasses;
            var perClassCorrect = zeros(classes, ScalarType.Float64, _device);
            var perClassTotal = zeros(classes, ScalarType.Float64, _device);
            var lossSum = zeros(1, ScalarType.Float64, _device);
            var featureSums = zeros([classes, _config.FeatDim], ScalarType.Float64, _device);
            var count = _data.Test.Count;
            for (var start = 0; start < count; start += _config.EvalBatchSize)
            {
                using var batchScope = NewDisposeScope();
                var length = System.Math.Min(_config.EvalBatchSize, count - start);
                var pixels = _testPixels.narrow(0, start, length);
                var labels = _testLabels.narrow(0, start, length);
                var output = _model.forward(_augmenter.Normalize(pixels));
                var logits = output.Logits;
                featureSums.index_add_(0, labels, output.Features.to_type(ScalarType.Float64), 1);
                lossSum.add_(_criterion.Forward(logits, labels).to_type(ScalarType.Float64) * length);
                var hit = logits.argmax(1).eq(labels).to_type(ScalarType.Float64);
                perClassCorrect.index_add_(0, labels, hit, 1);
                perClassTotal.index_add_(0, labels, ones_like(hit), 1);
            }
            var correct = perClassCorrect.cpu().data<double>().ToArray();
            var total = perClassTotal.cpu().data<double>().ToArray();
            var perClass = correct.Select((c, i) => total[i] > 0 ? 100 * c / total[i] : 0).ToArray();
            var top1 = 100 * correct.Sum() / System.Math.Max(1, total.Sum());
            var loss = lossSum.cpu().item<double>() / System.Math.Max(1, count);
            // Mean resultant length R of each class's unit features, and κ = p R / (1 − R²) as the estimator computes it.
            var resultant = (linalg.norm(featureSums, dims: [1L]) / perClassTotal.clamp_min(1)).cpu().data<double>().ToArray();
            var testKappa = resultant.Select(r => System.Math.Min(VmfEstimator.MaxKappa, _config.FeatDim * r / System.Math.Max(1e-12, 1 - r * r))).ToArray();
            return new Evaluation(top1, loss, perClass, ShotAccuracy.From(_data.ClassCounts, perClass), testKappa);
        }
        finally
        {
            _model.train();
        }
    }

    /// <summary>Loads model weights only (for <c>proco eval</c>).</summary>
    public CheckpointMeta LoadWeights(string path) =>
        CheckpointFile.Load(path, _model, null, null, _data.ClassCounts, _config.Dataset);

    private void WriteCheckpoint(IMetricSink sink, string dir, string kind, int completedEpochs, int stepInEpoch, long globalStep,
        double best, int bestEpoch, string reason)
    {
        var meta = new CheckpointMeta
        {
            Config = _config,
            Spec = Spec,
            CompletedEpochs = completedEpochs,
            StepInEpoch = stepInEpoch,
            GlobalStep = globalStep,
            BestTop1 = best,
            BestEpoch = bestEpoch,
            ClassCounts = _data.ClassCounts,
            ClassNames = _data.Train.ClassNames,
            Seed = _config.Seed,
            CreatedAt = DateTimeOffset.UtcNow,
            Reason = reason,
            Precision = Precision.Name,
            LossScale = _scaler?.Scale,
            LossScaleGoodSteps = _scaler?.GoodSteps,
        };
        var path = Path.Combine(dir, $"{kind}.ckpt");
        sink.Flush();
        var (size, sha) = CheckpointFile.Write(path, meta, _model, _optimizer, _proco);
        sink.Checkpoint(new CheckpointReport(path, kind, completedEpochs, size, sha));
    }

    private static void CopyAsBest(IMetricSink sink, string dir, int epoch)
    {
        var last = Path.Combine(dir, "last.ckpt");
        var best = Path.Combine(dir, "best.ckpt");
        var temp = best + $".tmp-{Environment.ProcessId}";
        File.Copy(last, temp, overwrite: true);
        File.Move(temp, best, overwrite: true);
        sink.Checkpoint(new CheckpointReport(best, "best", epoch, new FileInfo(best).Length, CheckpointFile.Sha256Of(best)));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _model.Dispose();
        _optimizer.Dispose();
        _proco?.Dispose();
        _criterion.Dispose();
        _augmenter.Dispose();
        _trainPixels.Dispose();
        _trainLabels.Dispose();
        _testPixels.Dispose();
        _testLabels.Dispose();
    }
}

/// <summary>Derives independent seeds from (seed, epoch, step) with SplitMix64.</summary>
public static class Seeds
{
    /// <summary>A non-negative 31-bit seed for (seed, epoch, step).</summary>
    public static int Mix(int seed, int epoch, int step)
    {
        var x = ((ulong)(uint)seed << 40) ^ ((ulong)((uint)epoch & 0xFFFFF) << 20) ^ ((uint)step & 0xFFFFF);
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return (int)(x & 0x7FFFFFFF);
    }
}
