namespace ProCo.Data.Entities;

/// <summary>Life cycle of a run. Stored as text so the database stays readable.</summary>
public enum RunStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    Interrupted,
}
