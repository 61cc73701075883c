using ProCo.Training.Datasets;

namespace ProCo.Training.Engine;

/// <summary>The final test of a run with a validation split: the model of its best validation epoch on the test split.</summary>
/// <param name="Epochs">Epochs of the run (the step the test series are stored at).</param>
/// <param name="ChosenEpoch">The epoch whose model was tested (best validation top-1).</param>
/// <param name="Values">Test series (<see cref="Series.TestTop1"/> and the shot groups that have classes).</param>
/// <param name="Shots">Many / medium / few-shot test accuracy with the number of classes in each group.</param>
public sealed record TestReport(int Epochs, int ChosenEpoch, IReadOnlyDictionary<string, double> Values, ShotAccuracy Shots);
