namespace ProCo.Data.Entities;

/// <summary>One value of one series at one step (long format; unique per run, series and step).</summary>
public class MetricPoint
{
    public long RunId { get; set; }
    /// <summary>TensorBoard-style tag, e.g. <c>acc/val_top1</c>.</summary>
    public string Series { get; set; } = "";
    public long Step { get; set; }
    /// <summary>The value; null stands for NaN, which SQLite cannot store (±∞ are stored as they are).</summary>
    public double? Value { get; set; }
}
