namespace ProCo.Data.Entities;

/// <summary>A per-class vector (kappa, accuracy, class counts) of one epoch, stored as one row.</summary>
public class EpochVector
{
    public long RunId { get; set; }
    public int Epoch { get; set; }
    /// <summary>kappa, accuracy or counts.</summary>
    public string Kind { get; set; } = "";
    /// <summary>The values as a JSON array of numbers.</summary>
    public string ValuesJson { get; set; } = "[]";
}
