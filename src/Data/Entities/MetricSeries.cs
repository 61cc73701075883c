namespace ProCo.Data.Entities;

/// <summary>
/// One series of a run as a whole, kept with its points: how many, the first and last step, the last
/// value and the finite extremes. The run page's summaries and the series list read these rows, never
/// the points.
/// </summary>
public class MetricSeries
{
    public long RunId { get; set; }
    public string Series { get; set; } = "";
    public long Count { get; set; }
    public long FirstStep { get; set; }
    public long LastStep { get; set; }
    /// <summary>The value at <see cref="LastStep"/>; null for NaN.</summary>
    public double? LastValue { get; set; }
    public double? FiniteMin { get; set; }
    public double? FiniteMax { get; set; }
    /// <summary>The coarsest level of the series' pyramid; -1 while it has not been built (points stored before summaries existed).</summary>
    public int TopLevel { get; set; }
}
