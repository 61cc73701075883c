using System.Text.Json.Serialization;
using ProCo.Training.Datasets;

namespace ProCo.Training.Engine;

/// <summary>When a series gets a point: every optimisation step (step = global step) or every epoch (step = epoch).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SeriesCadence>))]
public enum SeriesCadence
{
    /// <summary>Once per optimisation step; the step is the 1-based global step.</summary>
    Step,
    /// <summary>Once per epoch; the step is the 1-based epoch.</summary>
    Epoch,
}

/// <summary>One series the trainer reports (or an imported log carries), described once.</summary>
/// <param name="Name">The published TensorBoard tag, so our runs overlay the authors' logs.</param>
/// <param name="Label">Human name for legends and tables.</param>
/// <param name="Unit">Unit of the values ("%", "loss", "lr").</param>
/// <param name="Cadence">Per step or per epoch.</param>
/// <param name="Chart">Key of the chart it is drawn in (<see cref="Series.Charts"/>); empty for a series no chart draws (the wall-time axis).</param>
/// <param name="HigherIsBetter">True for accuracies: best = maximum; otherwise best = minimum.</param>
public sealed record SeriesInfo(string Name, string Label, string Unit, SeriesCadence Cadence, string Chart, bool HigherIsBetter);

/// <summary>A chart of the run and compare pages.</summary>
/// <param name="Key">Stable key (the page's chart container).</param>
/// <param name="Title">Title above the chart.</param>
/// <param name="Unit">Label of its y axis.</param>
public sealed record ChartInfo(string Key, string Title, string Unit);

/// <summary>
/// The series table: every series name, its label, unit, cadence, chart and direction. The trainer,
/// the importer's run summary, the API (<c>/api/series</c>) and the browser's charts all read it.
/// </summary>
public static class Series
{
    public const string TrainCeLoss = "CE_loss/train";
    public const string TrainSclLoss = "SCL_loss/train";
    public const string LearningRate = "lr";
    public const string TrainTop1 = "acc/train_top1";
    public const string ValCeLoss = "CE_loss/val";
    public const string ValTop1 = "acc/val_top1";
    public const string ValMany = "acc/val_many";
    public const string ValMedium = "acc/val_medium";
    public const string ValFew = "acc/val_few";
    public const string TestTop1 = "acc/test_top1";
    public const string TestMany = "acc/test_many";
    public const string TestMedium = "acc/test_medium";
    public const string TestFew = "acc/test_few";

    /// <summary>The prefix of the system metrics' names.</summary>
    public const string SystemPrefix = "sys/";
    /// <summary>Seconds since the run first started, sampled with the system metrics: the charts' wall-time axis.</summary>
    public const string SysElapsed = "sys/elapsed_s";
    public const string SysCpu = "sys/cpu_percent";
    public const string SysMemory = "sys/memory_mib";
    public const string SysImagesPerSecond = "sys/images_per_s";
    public const string SysGpuUtilisation = "sys/gpu_percent";
    public const string SysGpuMemory = "sys/gpu_memory_mib";

    /// <summary>The final test of a run with a validation split (<see cref="TestReport"/>): one point each, at the run's last epoch.</summary>
    public static readonly IReadOnlyList<string> FinalTest = [TestTop1, TestMany, TestMedium, TestFew];

    /// <summary>Charts in page order.</summary>
    public static readonly IReadOnlyList<ChartInfo> Charts =
    [
        new("acc", "Top-1 accuracy (%)", "%"),
        new("loss", "Training loss (per step)", "loss"),
        new("shots", "Many / medium / few-shot accuracy (%)", "%"),
        new("valloss", "Test loss", "loss"),
        new("lr", "Learning rate", "lr"),
        new("throughput", "Training throughput (images/s)", "images/s"),
        new("utilisation", "Process CPU and GPU utilisation (%)", "%"),
        new("memory", "Process and GPU memory (MiB)", "MiB"),
    ];

    /// <summary>Every known series, in chart order.</summary>
    public static readonly IReadOnlyList<SeriesInfo> All =
    [
        new(TrainCeLoss, "classification loss (train)", "loss", SeriesCadence.Step, "loss", false),
        new(TrainSclLoss, "ProCo loss (train)", "loss", SeriesCadence.Step, "loss", false),
        new(LearningRate, "learning rate", "lr", SeriesCadence.Step, "lr", false),
        new(TrainTop1, "train top-1", "%", SeriesCadence.Epoch, "acc", true),
        new(ValTop1, "test top-1", "%", SeriesCadence.Epoch, "acc", true),
        new(ValCeLoss, "test loss", "loss", SeriesCadence.Epoch, "valloss", false),
        new(ValMany, "many-shot", "%", SeriesCadence.Epoch, "shots", true),
        new(ValMedium, "medium-shot", "%", SeriesCadence.Epoch, "shots", true),
        new(ValFew, "few-shot", "%", SeriesCadence.Epoch, "shots", true),
        // A dataset with a validation split (ImageNet-LT, iNaturalist, one's own): the epoch series above are
        // measured on it, and the model of its best epoch is evaluated once on the test split at the end.
        new(TestTop1, "final test top-1 (best val epoch)", "%", SeriesCadence.Epoch, "acc", true),
        new(TestMany, "final test many-shot", "%", SeriesCadence.Epoch, "shots", true),
        new(TestMedium, "final test medium-shot", "%", SeriesCadence.Epoch, "shots", true),
        new(TestFew, "final test few-shot", "%", SeriesCadence.Epoch, "shots", true),
        // System metrics, sampled every few seconds at the step then reached (a GPU's where the run trains on one).
        new(SysElapsed, "wall time since start", "s", SeriesCadence.Step, "", false),
        new(SysImagesPerSecond, "images/s", "images/s", SeriesCadence.Step, "throughput", true),
        new(SysCpu, "process CPU (% of all cores)", "%", SeriesCadence.Step, "utilisation", false),
        new(SysGpuUtilisation, "GPU utilisation", "%", SeriesCadence.Step, "utilisation", true),
        new(SysMemory, "process memory (resident)", "MiB", SeriesCadence.Step, "memory", false),
        new(SysGpuMemory, "GPU memory used", "MiB", SeriesCadence.Step, "memory", false),
    ];

    /// <summary>Series reported once per optimisation step (step = global step, 1-based).</summary>
    public static readonly IReadOnlyList<string> PerStep = [.. All.Where(s => s.Cadence == SeriesCadence.Step).Select(s => s.Name)];

    /// <summary>
    /// Series reported once per epoch (step = epoch, 1-based). A shot group with no class is left
    /// out of the epoch's values.
    /// </summary>
    public static readonly IReadOnlyList<string> PerEpoch = [.. All.Where(s => s.Cadence == SeriesCadence.Epoch && !FinalTest.Contains(s.Name)).Select(s => s.Name)];

    /// <summary>The description of a series, or null for a name this table does not know (an imported log's own tag).</summary>
    public static SeriesInfo? Find(string name) => All.FirstOrDefault(s => s.Name == name);

    /// <summary>True for accuracies (best = maximum); unknown series count as lower-is-better unless their name starts with "acc".</summary>
    public static bool HigherIsBetter(string name) => Find(name)?.HigherIsBetter ?? name.StartsWith("acc", StringComparison.Ordinal);
}

/// <summary>Names of per-class vectors reported at epoch ends.</summary>
public static class VectorKinds
{
    /// <summary>κ of the old estimator (training features of the last two epochs): what the ProCo loss uses.</summary>
    public const string Kappa = "kappa";
    /// <summary>κ of the test images' features: how concentrated each class is on held-out data.</summary>
    public const string TestKappa = "kappa_test";
    public const string Accuracy = "accuracy";
    public const string ClassCounts = "counts";
}

/// <summary>Plain numbers of one optimisation step.</summary>
/// <param name="Epoch">1-based epoch the step belongs to.</param>
/// <param name="GlobalStep">1-based step over the whole run.</param>
/// <param name="StepInEpoch">1-based step within the epoch.</param>
/// <param name="StepsPerEpoch">Steps of every epoch.</param>
/// <param name="Values">Series name to value (<see cref="Series.PerStep"/>).</param>
public sealed record StepReport(int Epoch, long GlobalStep, int StepInEpoch, int StepsPerEpoch, IReadOnlyDictionary<string, double> Values);

/// <summary>Plain numbers of one finished epoch.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Epochs of the run.</param>
/// <param name="GlobalStep">Global step at the end of the epoch.</param>
/// <param name="Values">Series name to value (<see cref="Series.PerEpoch"/>); accuracies in percent.</param>
/// <param name="Vectors">Per-class vectors by kind (kappa, accuracy in percent, counts).</param>
/// <param name="Elapsed">Wall time of the epoch including evaluation.</param>
/// <param name="Shots">Many / medium / few-shot accuracy with the number of classes in each group.</param>
public sealed record EpochReport(int Epoch, int Epochs, long GlobalStep, IReadOnlyDictionary<string, double> Values,
    IReadOnlyDictionary<string, double[]> Vectors, TimeSpan Elapsed, ShotAccuracy Shots);

/// <summary>The final test of a run with a validation split: the model of its best validation epoch on the test split.</summary>
/// <param name="Epochs">Epochs of the run (the step the test series are stored at).</param>
/// <param name="ChosenEpoch">The epoch whose model was tested (best validation top-1).</param>
/// <param name="Values">Test series (<see cref="Series.TestTop1"/> and the shot groups that have classes).</param>
/// <param name="Shots">Many / medium / few-shot test accuracy with the number of classes in each group.</param>
public sealed record TestReport(int Epochs, int ChosenEpoch, IReadOnlyDictionary<string, double> Values, ShotAccuracy Shots);

/// <summary>A checkpoint file the trainer wrote.</summary>
/// <param name="Path">Where it is.</param>
/// <param name="Kind">last or best.</param>
/// <param name="Epoch">Completed epochs it holds.</param>
/// <param name="SizeBytes">File size.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file.</param>
public sealed record CheckpointReport(string Path, string Kind, int Epoch, long SizeBytes, string Sha256);

/// <summary>What a run trains with, known once <see cref="Trainer.Run"/> starts (for a resumed run: what it continues with).</summary>
/// <param name="StepsPerEpoch">Optimisation steps per epoch.</param>
/// <param name="Precision">fp32, bf16 or fp16: the configured precision with <c>auto</c> resolved, or the checkpoint's when resuming.</param>
/// <param name="Detail">The plan in words, e.g. "bf16 (auto: this CPU has avx512_bf16), channels-last".</param>
/// <param name="Device">The device it trains on: cpu or cuda:N (the configured one with <c>auto</c> resolved).</param>
public sealed record TrainingStart(int StepsPerEpoch, string Precision, string Detail, string Device);

/// <summary>Where the trainer hands its numbers. Called on the training thread; must not block for long.</summary>
public interface IMetricSink
{
    /// <summary>Called once per <see cref="Trainer.Run"/>, before the first step.</summary>
    void Started(TrainingStart start)
    {
    }

    void Step(StepReport report);
    void Epoch(EpochReport report);

    /// <summary>Called once at the end of a completed run that has a validation split, with its test result.</summary>
    void Tested(TestReport report);
    void Checkpoint(CheckpointReport report);
    void Log(string level, string message);

    /// <summary>
    /// Called before every checkpoint: everything reported so far must be stored when it returns,
    /// so a run resumed from that checkpoint has all the numbers that came before it.
    /// </summary>
    void Flush();
}
