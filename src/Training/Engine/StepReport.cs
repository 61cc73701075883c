namespace ProCo.Training.Engine;

/// <summary>Plain numbers of one optimisation step.</summary>
/// <param name="Epoch">1-based epoch the step belongs to.</param>
/// <param name="GlobalStep">1-based step over the whole run.</param>
/// <param name="StepInEpoch">1-based step within the epoch.</param>
/// <param name="StepsPerEpoch">Steps of every epoch.</param>
/// <param name="Values">Series name to value (<see cref="Series.PerStep"/>).</param>
public sealed record StepReport(int Epoch, long GlobalStep, int StepInEpoch, int StepsPerEpoch, IReadOnlyDictionary<string, double> Values);
