namespace ProCo.Training.Engine;

/// <summary>One series the trainer reports (or an imported log carries), described once.</summary>
/// <param name="Name">The published TensorBoard tag, so our runs overlay the authors' logs.</param>
/// <param name="Cadence">Per step or per epoch.</param>
/// <param name="HigherIsBetter">True for accuracies: best = maximum; otherwise best = minimum.</param>
public sealed record SeriesInfo(string Name, SeriesCadence Cadence, bool HigherIsBetter);
