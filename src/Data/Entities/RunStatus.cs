using System.Text.Json.Serialization;

namespace ProCo.Data.Entities;

/// <summary>Life cycle of a run. Stored as text so the database stays readable, and sent as its name (the API, the hub).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RunStatus>))]
public enum RunStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    Interrupted,
}

/// <summary>
/// What each status allows, read off the lifecycle's table (<see cref="RunTransitions"/>): the one place the API,
/// the pages and (through the run DTOs and messages) the browser learn whether a run can be cancelled, resumed or deleted.
/// </summary>
public static class RunStatusRules
{
    /// <summary>Waiting for a worker: queued, or interrupted and about to be requeued. Cancelled at once.</summary>
    public static IReadOnlyList<RunStatus> Waiting => RunTransitions.Cancel.From;

    /// <summary>Stopped with epochs left: resumed from the last checkpoint.</summary>
    public static IReadOnlyList<RunStatus> Resumable => RunTransitions.Resume.From;

    /// <summary>Queued or training: its numbers may still change.</summary>
    public static bool IsLive(this RunStatus status) => status is RunStatus.Queued or RunStatus.Running;

    /// <summary>A worker has it or will take it (an interrupted run is resumed by the lease monitor).</summary>
    public static bool IsInFlight(this RunStatus status) => status == RunStatus.Running || Waiting.Contains(status);

    /// <summary>A queued or interrupted run is cancelled at once; a running one stops at its next step.</summary>
    public static bool CanCancel(this RunStatus status, bool imported) => !imported && status.IsInFlight();

    /// <summary>A stopped run that has epochs left resumes from its last checkpoint.</summary>
    public static bool CanResume(this RunStatus status, bool imported) => !imported && Resumable.Contains(status);

    /// <summary>Anything but a run a worker is training right now.</summary>
    public static bool CanDelete(this RunStatus status) => status != RunStatus.Running;
}
