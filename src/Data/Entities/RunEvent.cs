namespace ProCo.Data.Entities;

/// <summary>A log line of a run.</summary>
public class RunEvent
{
    public long Id { get; set; }
    public long RunId { get; set; }
    public DateTimeOffset At { get; set; }
    /// <summary>info, warning or error.</summary>
    public string Level { get; set; } = "info";
    public string Message { get; set; } = "";
}
