namespace ProCo.Data.Entities;

/// <summary>
/// One bucket of a series' summary pyramid: the points whose steps fall in
/// [<c>Bucket</c> × W, (<c>Bucket</c> + 1) × W) with W = 32 × 2^<c>Level</c> (<see cref="MetricPyramid"/>),
/// summarised by their count, first and last step, and their smallest and largest value with the
/// steps they sit at. A downsampled read draws each bucket as its two extremes, so a spike survives at
/// any zoom, and reads as many rows as it returns.
/// </summary>
public class MetricBucket
{
    public long RunId { get; set; }
    public string Series { get; set; } = "";
    public int Level { get; set; }
    public long Bucket { get; set; }
    public long Count { get; set; }
    public long FirstStep { get; set; }
    public long LastStep { get; set; }
    /// <summary>Step of the smallest value (±∞ included, NaN not); null when every value is NaN.</summary>
    public long? MinStep { get; set; }
    public double? MinValue { get; set; }
    /// <summary>Step of the largest value (±∞ included, NaN not); null when every value is NaN.</summary>
    public long? MaxStep { get; set; }
    public double? MaxValue { get; set; }
    /// <summary>Smallest finite value (a run's best loss is among finite values); null when there is none.</summary>
    public double? FiniteMin { get; set; }
    /// <summary>Largest finite value; null when there is none.</summary>
    public double? FiniteMax { get; set; }
}
