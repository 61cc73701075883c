using ProCo.Training.Engine;

namespace ProCo.Web.Runs;

/// <summary>A series as the pages show it: what the trainer says of it (<see cref="SeriesInfo"/>) with its legend label, unit and chart.</summary>
/// <param name="Name">The published TensorBoard tag.</param>
/// <param name="Label">Human name for legends and tables.</param>
/// <param name="Unit">Unit of the values ("%", "loss", "lr").</param>
/// <param name="Cadence">Per step or per epoch.</param>
/// <param name="Chart">Key of the chart it is drawn in (<see cref="SeriesDisplay.Charts"/>); empty for a series no chart draws (the wall-time axis).</param>
/// <param name="HigherIsBetter">True for accuracies: best = maximum; otherwise best = minimum.</param>
public sealed record SeriesView(string Name, string Label, string Unit, SeriesCadence Cadence, string Chart, bool HigherIsBetter);
