using ProCo.Training.Datasets;

namespace ProCo.Training.Engine;

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
