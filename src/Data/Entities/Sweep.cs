namespace ProCo.Data.Entities;

/// <summary>
/// Runs queued together: a grid (every combination of the listed values) or a random search (configurations drawn from
/// lists and ranges, reproducibly from a seed). Its runs point to it (<see cref="Run.SweepId"/>).
/// </summary>
public class Sweep
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    /// <summary>grid or random.</summary>
    public string Kind { get; set; } = "grid";
    /// <summary>What varied and how it was drawn, as JSON: the lists by field, the samples and the sampler's seed.</summary>
    public string SpecJson { get; set; } = "{}";
    /// <summary>The configuration every run starts from, as JSON.</summary>
    public string BaseConfigJson { get; set; } = "{}";
    /// <summary>Who queued it.</summary>
    public string? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
