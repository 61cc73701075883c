namespace ProCo.Data.Entities;

/// <summary>A log line of a run.</summary>
public class RunEvent
{
    public long Id { get; set; }
    public long RunId { get; set; }
    public DateTimeOffset At { get; set; }
    /// <summary>The word of a <see cref="RunEventLevel"/>: info, progress, warning or error.</summary>
    public string Level { get; set; } = "info";
    public string Message { get; set; } = "";
    /// <summary>Who did it, for actions of a person ("alice", or "local" on an open loopback server); null for the trainer's own lines.</summary>
    public string? User { get; set; }
}
