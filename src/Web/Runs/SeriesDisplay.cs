using ProCo.Training.Engine;

namespace ProCo.Web.Runs;

/// <summary>
/// How the pages show what the trainer reports: the charts in page order, each series' legend label,
/// unit and chart, and the per-class vector kinds. The run and compare pages (Blazor and their browser
/// modules, through <c>/api/series</c>) and the run's console lines read it; nothing else names a chart
/// or lists the vector kinds.
/// </summary>
public static class SeriesDisplay
{
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

    private static readonly Dictionary<string, (string Label, string Unit, string Chart)> Looks = new()
    {
        [Series.TrainCeLoss] = ("classification loss (train)", "loss", "loss"),
        [Series.TrainSclLoss] = ("ProCo loss (train)", "loss", "loss"),
        [Series.LearningRate] = ("learning rate", "lr", "lr"),
        [Series.TrainTop1] = ("train top-1", "%", "acc"),
        [Series.ValTop1] = ("test top-1", "%", "acc"),
        [Series.ValCeLoss] = ("test loss", "loss", "valloss"),
        [Series.ValMany] = ("many-shot", "%", "shots"),
        [Series.ValMedium] = ("medium-shot", "%", "shots"),
        [Series.ValFew] = ("few-shot", "%", "shots"),
        [Series.TestTop1] = ("final test top-1 (best val epoch)", "%", "acc"),
        [Series.TestMany] = ("final test many-shot", "%", "shots"),
        [Series.TestMedium] = ("final test medium-shot", "%", "shots"),
        [Series.TestFew] = ("final test few-shot", "%", "shots"),
        // The wall-time axis: no chart draws it.
        [Series.SysElapsed] = ("wall time since start", "s", ""),
        [Series.SysImagesPerSecond] = ("images/s", "images/s", "throughput"),
        [Series.SysCpu] = ("process CPU (% of all cores)", "%", "utilisation"),
        [Series.SysGpuUtilisation] = ("GPU utilisation", "%", "utilisation"),
        [Series.SysMemory] = ("process memory (resident)", "MiB", "memory"),
        [Series.SysGpuMemory] = ("GPU memory used", "MiB", "memory"),
    };

    /// <summary>Every series the trainer reports, in its order, as the pages show it.</summary>
    public static readonly IReadOnlyList<SeriesView> All =
        [.. Series.All.Select(s => new SeriesView(s.Name, Looks[s.Name].Label, Looks[s.Name].Unit, s.Cadence, Looks[s.Name].Chart, s.HigherIsBetter))];

    /// <summary>The per-class vectors, in the order the pages show them.</summary>
    public static readonly IReadOnlyList<VectorView> Vectors =
    [
        new(VectorKinds.Kappa, "κ of the estimator (training features, what the loss uses)", PerEpoch: true, Heatmap: true),
        new(VectorKinds.TestKappa, "κ of the test features", PerEpoch: true, Heatmap: true),
        new(VectorKinds.Accuracy, "test accuracy per class (%)", PerEpoch: true, Heatmap: false),
        new(VectorKinds.ClassCounts, "training images per class", PerEpoch: false, Heatmap: false),
    ];

    /// <summary>The legend label of a series, or its name for one this table does not know (an imported log's own tag).</summary>
    public static string LabelOf(string name) => Looks.TryGetValue(name, out var look) ? look.Label : name;
}
