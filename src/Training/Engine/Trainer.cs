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
    private readonly ITrainingFeed _feed;
    private readonly HashSet<string> _skippedFiles = [];
    private LossScaler? _scaler;

    // Held while libtorch's global generator is seeded and drawn from.
    private static readonly object GlobalRandom = new();

    /// <summary>Builds model, optimizer and losses on the configured device.</summary>
    public Trainer(TrainingConfig config, TrainingData data) : this(config, data, null)
    {
    }

    /// <summary>
    /// Builds model, optimizer and losses; <paramref name="feed"/>, when given, makes the batches instead of the
    /// data's own feed (<c>proco bench</c> times steps fed by random tensors against steps fed by decoding).
    /// </summary>
    public Trainer(TrainingConfig config, TrainingData data, Func<TrainingConfig, ITrainingFeed>? feed)
    {
        _config = config.Validated();
        _data = data;
        DeviceName = _config.ResolvedDevice;
        _device = new Device(DeviceName);
        if (_device.type == DeviceType.CUDA && !cuda.is_available())
            throw new InvalidOperationException($"Device {_config.Device} was asked for, but CUDA is not available in this build or on this machine.");

        NativeAllocator.Tune();
        Spec = ModelSpec.For(_config, data.Train.Channels, data.Train.NumClasses);
        // The initial weights come from libtorch's one global generator: seeding it and drawing them is one step, so
        // that two runs starting at once in one process (a worker's two devices, parallel tests) each get their seed's weights.
        lock (GlobalRandom)
        {
            manual_seed(_config.Seed);
            _model = new ProCoModel(Spec);
        }
        _model.to(_device);
        UsePrecision(PrecisionPlan.Resolve(_config.Precision, _device));
        _optimizer = optim.SGD(_model.parameters(), _config.LearningRate, _config.Momentum, weight_decay: _config.WeightDecay);
        _criterion = new LogitAdjustedLoss(data.ClassCounts, TrainingMethods.AdjustmentTau(_config), _device);
        if (TrainingMethods.IsContrastive(_config.Method))
            _proco = new ProCoLoss(data.Train.NumClasses, _config.FeatDim, _config.Temperature, _device, new Generator((ulong)_config.Seed));
        _feed = feed?.Invoke(_config) ?? data.Train switch
        {
            ImageFileSplit files => (ITrainingFeed)new FileFeed(_config, files, files.Mean, files.Std, _device),
            _ => new MemoryFeed(_config, data, KnownDatasets.Get(_config.Dataset), _device),
        };
        StepsPerEpoch = data.Train.Count / _config.BatchSize;
    }

    /// <summary>The architecture being trained.</summary>
    public ModelSpec Spec { get; }

    /// <summary>The device it trains on: cpu or cuda:N (the configuration's, with auto resolved in this process).</summary>
    public string DeviceName { get; }

    /// <summary>The model (for evaluation and tests).</summary>
    public ProCoModel Model => _model;

    /// <summary>The ProCo loss and its estimator pair; null for the baselines (la, ce).</summary>
    public ProCoLoss? Loss => _proco;

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
            if (meta.DataFingerprint is { } then && _data.Fingerprint is { } now && then != now)
                throw new InvalidDataException($"{resumeFrom} was trained on other files of {_config.Dataset} (fingerprint {then}, now {now}): " +
                                               "the dataset was registered again or its folders changed, so the run cannot continue exactly. Start a new run.");
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
                using (var archive = Models.TorchArchive.Open(initial)) Models.PyTorchWeights.LoadInto(_model, archive);
                sink.Log("info", $"Initialised from the PyTorch weights {Path.GetFileName(initial)}.");
            }
            sink.Log("info", $"Training {Spec.Describe()} with {_config.Method} on {_data.Train.Name}: {_data.Train.Count} training images " +
                             $"({Describe(_data.ClassCounts)} per class), " + (_data.Val is { } val ? $"{val.Count} validation images (the epoch is chosen on them), " : "") +
                             $"{_data.Test.Count} test images, {StepsPerEpoch} steps per epoch" +
                             (_config.MicroBatch is { } micro && micro < _config.BatchSize ? $", micro-batches of {micro}" : "") + ".");
        }
        sink.Log("info", $"Device: {DeviceName}{(_config.Device == TrainingDevices.Auto ? " (auto)" : "")}. Precision: {Precision}.");
        sink.Started(new TrainingStart(StepsPerEpoch, Precision.Name, Precision.ToString(), DeviceName));

        for (var epoch = startEpoch; epoch < _config.Epochs; epoch++)
        {
            var watch = Stopwatch.StartNew();
            var firstStep = epoch == startEpoch ? startStep : 0;
            // Stop before the epoch-start swap of the estimators, so the checkpoint is the epoch boundary itself.
            if (cancellationToken.IsCancellationRequested) return Cancel(sink, checkpointDir, epoch, firstStep, globalStep, best, bestEpoch);
            var lr = LearningRateSchedule.At(_config, epoch);
            foreach (var group in _optimizer.ParamGroups) group.LearningRate = lr;
            if (firstStep == 0 && _proco is not null)
            {
                using var generator = new Generator((ulong)Seeds.Mix(_config.Seed, epoch, -1));
                _proco.StartEpoch(generator);
            }

            _model.train();
            _feed.StartEpoch(EpochOrder(epoch), epoch, firstStep);
            double correct = 0;
            long seen = 0;
            for (var step = firstStep; step < StepsPerEpoch; step++)
            {
                if (step > firstStep && cancellationToken.IsCancellationRequested)
                {
                    _feed.StopEpoch();
                    return Cancel(sink, checkpointDir, epoch, step, globalStep, best, bestEpoch);
                }
                var (ce, scl, hits, images) = TrainStep(sink, epoch, step);
                globalStep++;
                correct += hits;
                seen += images;
                var stepValues = new Dictionary<string, double> { [Series.TrainCeLoss] = ce, [Series.LearningRate] = lr };
                // A method without the ProCo loss has no such series (not a flat zero).
                if (_proco is not null) stepValues[Series.TrainSclLoss] = scl;
                sink.Step(new StepReport(epoch + 1, globalStep, step + 1, StepsPerEpoch, stepValues));
            }

            _feed.StopEpoch();
            var evaluation = Evaluate(_data.Selection, sink);
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

            WriteCheckpoint(sink, checkpointDir, CheckpointKinds.Last, epoch + 1, 0, globalStep, best, bestEpoch, "epoch-end");
            if (bestEpoch == epoch + 1) CopyAsBest(sink, checkpointDir, epoch + 1);
        }
        if (_data.Val is not null) TestBest(sink, checkpointDir);
        return new TrainingResult(TrainingOutcome.Completed, _config.Epochs, best);
    }

    // As the public ImageNet code: the model of the best validation epoch, evaluated once on the test split.
    private void TestBest(IMetricSink sink, string checkpointDir)
    {
        var best = Path.Combine(checkpointDir, "best.ckpt");
        var meta = CheckpointFile.Load(best, _model, null, null, _data.ClassCounts, _config.Dataset);
        var test = Evaluate(_data.Test, sink);
        var values = new Dictionary<string, double> { [Series.TestTop1] = test.Top1 };
        if (test.Shots.ManyClasses > 0) values[Series.TestMany] = test.Shots.Many;
        if (test.Shots.MediumClasses > 0) values[Series.TestMedium] = test.Shots.Medium;
        if (test.Shots.FewClasses > 0) values[Series.TestFew] = test.Shots.Few;
        sink.Log("info", $"Test split, model of epoch {meta.CompletedEpochs} (best on validation, {meta.BestTop1:0.00}%): top-1 {test.Top1:0.00}%, " +
                         $"many {test.Shots.Many:0.00}%, medium {test.Shots.Medium:0.00}%, few {test.Shots.Few:0.00}%.");
        sink.Tested(new TestReport(_config.Epochs, meta.CompletedEpochs, values, test.Shots));
    }

    private static string Describe(long[] counts) =>
        counts.Length <= 20 ? string.Join("/", counts) : $"{counts.Max()} down to {counts.Min()}";

    private TrainingResult Cancel(IMetricSink sink, string checkpointDir, int epoch, int step, long globalStep, double best, int bestEpoch)
    {
        WriteCheckpoint(sink, checkpointDir, CheckpointKinds.Last, epoch, step, globalStep, best, bestEpoch, "cancelled");
        sink.Log("info", step == 0
            ? $"Cancelled after epoch {epoch}; checkpoint written."
            : $"Cancelled at epoch {epoch + 1}, after step {step} of {StepsPerEpoch}; checkpoint written.");
        return new TrainingResult(TrainingOutcome.Cancelled, epoch, best);
    }

    // The epoch's sample order, drawn from (seed, epoch).
    private long[] EpochOrder(int epoch)
    {
        var order = Enumerable.Range(0, _data.Train.Count).Select(i => (long)i).ToArray();
        new Random(Seeds.Mix(_config.Seed, epoch, -2)).Shuffle(order);
        return order;
    }

    // One optimisation step: the feed's views of the batch in the network's input type and layout, then
    // forward, both losses and backward per micro-batch (gradients accumulate; the estimators update per
    // micro-batch and view, where the public code updates them once per view with every GPU's features),
    // then the update.
    private (double Ce, double Scl, double Correct, int Images) TrainStep(IMetricSink sink, int epoch, int step)
    {
        using var scope = NewDisposeScope();
        Profile?.Begin();
        using var batch = _feed.Next(step);
        LogSkipped(batch, sink);
        var labels = batch.Labels;
        var size = (int)labels.shape[0];
        var views = _model.Mode.Input(batch.Views);
        var viewCount = TrainingMethods.ViewsPerImage(_config.Method);
        Profile?.Mark("data");
        _optimizer.zero_grad();
        Tensor ceSum = zeros(1, device: _device), sclSum = zeros(1, device: _device), hits = zeros(1, device: _device);
        foreach (var (from, length) in MicroBatches(size, _config.MicroBatch ?? size))
        {
            var part = labels.narrow(0, from, length);
            // The whole batch as it is; a micro-batch gathers its rows of every view.
            var input = length == size ? views
                : viewCount == 1 ? views.narrow(0, from, length)
                : cat([.. Enumerable.Range(0, viewCount).Select(v => views.narrow(0, (long)v * size + from, length))], 0);
            Tensor ce, scl, predicted;
            var output = _model.forward(input);
            Profile?.Mark("forward");
            var logits = output.Logits.narrow(0, 0, length);
            ce = _criterion.Forward(logits, part);
            if (_proco is not null)
            {
                // Loss = LA-CE(view 0 logits) + α · mean over views 1-2 of LA-CE(contrastive logits)
                var contrast1 = _proco.ContrastLogits(output.Features.narrow(0, length, length), part);
                var contrast2 = _proco.ContrastLogits(output.Features.narrow(0, 2L * length, length), part);
                scl = (_criterion.Forward(contrast1, part) + _criterion.Forward(contrast2, part)) / 2;
                predicted = TrainingPrediction(logits, contrast1, contrast2, _config.Alpha);
            }
            else
            {
                scl = zeros_like(ce);
                predicted = logits.detach();
            }
            // Each micro-batch's mean loss weighted by its share of the batch: the gradient of the batch's mean.
            var loss = (ce + _config.Alpha * scl) * ((double)length / size);
            Profile?.Mark("loss");
            (_scaler?.ScaleLoss(loss) ?? loss).backward();
            Profile?.Mark("backward");
            ceSum.add_(ce.detach().to_type(ScalarType.Float32) * length);
            sclSum.add_(scl.detach().to_type(ScalarType.Float32) * length);
            hits.add_(predicted.argmax(1).eq(part).sum().to_type(ScalarType.Float32));
        }
        // Under fp16 a step whose gradients overflowed is skipped (and the loss scale halves).
        if (_scaler?.UnscaleAndCheck(_model.parameters()) ?? true) _optimizer.step();
        Profile?.Mark("update");

        // The one host synchronisation of the step: the numbers it reports.
        var stats = cat([ceSum / size, sclSum / size, hits]).cpu().data<float>().ToArray();
        Profile?.Mark("report");
        if (!float.IsFinite(stats[0]) || !float.IsFinite(stats[1]))
            throw new InvalidOperationException($"The loss became {stats[0]} (CE) / {stats[1]} (SCL) at epoch {epoch + 1}, step {step + 1}: lower the learning rate.");
        return (stats[0], stats[1], stats[2], size);
    }

    // Each unreadable file a batch left out is logged once per run, by path.
    private void LogSkipped(PreparedBatch batch, IMetricSink? sink)
    {
        foreach (var skipped in batch.Skipped)
        {
            if (_skippedFiles.Add(skipped.Path)) sink?.Log("warning", $"Skipped the unreadable image {skipped.Path} ({skipped.Reason}).");
        }
    }

    /// <summary>
    /// The micro-batches of a batch of <paramref name="size"/> images: <paramref name="micro"/> each, a last one of
    /// fewer, never of a single image (BatchNorm cannot normalise one; a batch that lost images to unreadable files
    /// can end so): a lone last image joins the micro-batch before it.
    /// </summary>
    public static IEnumerable<(int From, int Length)> MicroBatches(int size, int micro)
    {
        micro = System.Math.Clamp(micro, 1, size);
        for (var from = 0; from < size; from += micro)
        {
            var length = System.Math.Min(micro, size - from);
            if (size - from - length == 1) length++;
            yield return (from, length);
            if (length > micro) yield break;
        }
    }

    /// <summary>
    /// The scores ProCo's training top-1 is counted from, as the public code counts it: the classifier
    /// logits plus α times the mean of the two views' contrastive logits (detached).
    /// </summary>
    public static Tensor TrainingPrediction(Tensor logits, Tensor contrast1, Tensor contrast2, double alpha) =>
        logits.detach() + alpha * (contrast1.detach() + contrast2.detach()) / 2;

    /// <summary>Top-1, loss, per-class and many/medium/few accuracy on <paramref name="split"/> (by default the test set).</summary>
    public Evaluation Evaluate(IImageSplit? split = null, IMetricSink? sink = null)
    {
        split ??= _data.Test;
        _model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var classes = split.NumClasses;
            var perClassCorrect = zeros(classes, ScalarType.Float64, _device);
            var perClassTotal = zeros(classes, ScalarType.Float64, _device);
            var lossSum = zeros(1, ScalarType.Float64, _device);
            var featureSums = zeros([classes, _config.FeatDim], ScalarType.Float64, _device);
            long count = 0;
            foreach (var batch in _feed.Evaluation(split))
            {
                using var batchScope = NewDisposeScope();
                using var _ = batch;
                LogSkipped(batch, sink);
                var labels = batch.Labels;
                var length = labels.shape[0];
                count += length;
                var output = _model.forward(batch.Views);
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
            DataFingerprint = _data.Fingerprint,
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
        sink.Checkpoint(new CheckpointReport(best, CheckpointKinds.Best, epoch, new FileInfo(best).Length, CheckpointFile.Sha256Of(best)));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _model.Dispose();
        _optimizer.Dispose();
        _proco?.Dispose();
        _criterion.Dispose();
        _feed.Dispose();
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
