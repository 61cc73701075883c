namespace ProCo.Data.Entities;

/// <summary>A checkpoint file the server wrote. Downloads resolve it by id, never by a client path.</summary>
public class Checkpoint
{
    public long Id { get; set; }
    public long RunId { get; set; }
    public int Epoch { get; set; }
    /// <summary>last or best.</summary>
    public string Kind { get; set; } = "last";
    public long SizeBytes { get; set; }
    public string Sha256 { get; set; } = "";
    /// <summary>Path relative to the data folder.</summary>
    public string RelativePath { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
}
