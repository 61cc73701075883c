namespace ProCo.Data.Entities;

/// <summary>
/// A process that trains runs (a <c>proco worker</c>, or a web app with its own workers), as it
/// advertises itself: where it is, what it can train on, which datasets it has, and when it last
/// said so. A row whose heartbeat is old is a worker that is gone.
/// </summary>
public class WorkerRecord
{
    /// <summary>host:pid:nonce, as recorded on the runs it trains.</summary>
    public string Name { get; set; } = "";
    public string Host { get; set; } = "";
    /// <summary>Comma-separated devices, one training each: cpu (repeated once per slot), cuda:0, ...</summary>
    public string Devices { get; set; } = "";
    /// <summary>Comma-separated device kinds it takes runs of: cpu, gpu.</summary>
    public string Kinds { get; set; } = "";
    /// <summary>Comma-separated dataset keys present on this host.</summary>
    public string Datasets { get; set; } = "";
    /// <summary>Comma-separated Hangfire queues its job server fetches from.</summary>
    public string Queues { get; set; } = "";
    public int Slots { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset HeartbeatAt { get; set; }
}
