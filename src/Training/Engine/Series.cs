namespace ProCo.Training.Engine;

/// <summary>
/// The series the trainer reports: every name (the authors' TensorBoard tags), its cadence and its
/// direction. How the pages label and group them is the web app's (<c>SeriesDisplay</c>), which serves
/// both together at <c>/api/series</c>.
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

    /// <summary>Every known series, in the order the pages draw them.</summary>
    public static readonly IReadOnlyList<SeriesInfo> All =
    [
        new(TrainCeLoss, SeriesCadence.Step, false),
        new(TrainSclLoss, SeriesCadence.Step, false),
        new(LearningRate, SeriesCadence.Step, false),
        new(TrainTop1, SeriesCadence.Epoch, true),
        new(ValTop1, SeriesCadence.Epoch, true),
        new(ValCeLoss, SeriesCadence.Epoch, false),
        new(ValMany, SeriesCadence.Epoch, true),
        new(ValMedium, SeriesCadence.Epoch, true),
        new(ValFew, SeriesCadence.Epoch, true),
        // A dataset with a validation split (ImageNet-LT, iNaturalist, one's own): the epoch series above are
        // measured on it, and the model of its best epoch is evaluated once on the test split at the end.
        new(TestTop1, SeriesCadence.Epoch, true),
        new(TestMany, SeriesCadence.Epoch, true),
        new(TestMedium, SeriesCadence.Epoch, true),
        new(TestFew, SeriesCadence.Epoch, true),
        // System metrics, sampled every few seconds at the step then reached (a GPU's where the run trains on one).
        new(SysElapsed, SeriesCadence.Step, false),
        new(SysImagesPerSecond, SeriesCadence.Step, true),
        new(SysCpu, SeriesCadence.Step, false),
        new(SysGpuUtilisation, SeriesCadence.Step, true),
        new(SysMemory, SeriesCadence.Step, false),
        new(SysGpuMemory, SeriesCadence.Step, false),
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
