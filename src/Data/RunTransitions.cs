using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using ProCo.Data.Entities;

namespace ProCo.Data;

/// <summary>
/// One change of a run's status: the statuses it may start from, those it may lead to, and what else it sets.
/// </summary>
/// <param name="Name">What the change is called in events and tests ("claim", "finish" ...).</param>
/// <param name="From">The statuses the run may have before (the UPDATE's WHERE clause).</param>
/// <param name="To">The statuses it may have after.</param>
/// <param name="Sets">What else the change sets, in words.</param>
public sealed record RunTransition(string Name, IReadOnlyList<RunStatus> From, IReadOnlyList<RunStatus> To, string Sets);

/// <summary>
/// The run lifecycle in one table, and every UPDATE of a run's status (and of its lease) built from it: a change
/// happens only from the statuses its row names, as one conditional UPDATE, so two processes racing for a run
/// (two deliveries of a job, a worker and the lease monitor, a cancel and a claim) cannot both win. Each method
/// answers whether the row changed. What a status allows (cancel, resume, delete) is read off this table by
/// <see cref="RunStatusRules"/>; a new status is a value of <see cref="RunStatus"/> and its rows here.
/// </summary>
public static class RunTransitions
{
    /// <summary>A worker takes a waiting run, or a running one whose holder's lease has run out (never one asked to cancel).</summary>
    public static readonly RunTransition Claim = new("claim", [RunStatus.Queued, RunStatus.Interrupted, RunStatus.Running], [RunStatus.Running],
        "worker, lease, job id, attempts + 1, started-at the first time; clears finished-at and error");

    /// <summary>Its worker ends the run it holds: trained, failed, cancelled at a step, or stopped with the host (resumed later).</summary>
    public static readonly RunTransition Finish = new("finish", [RunStatus.Running],
        [RunStatus.Succeeded, RunStatus.Failed, RunStatus.Cancelled, RunStatus.Interrupted],
        "clears worker, lease and the cancel request; finished-at unless interrupted; the error");

    /// <summary>The lease monitor takes a run back from a worker that stopped renewing its lease.</summary>
    public static readonly RunTransition Interrupt = new("interrupt", [RunStatus.Running], [RunStatus.Interrupted], "clears worker and lease");

    /// <summary>A run no worker holds is cancelled at once.</summary>
    public static readonly RunTransition Cancel = new("cancel", [RunStatus.Queued, RunStatus.Interrupted], [RunStatus.Cancelled], "finished-at");

    /// <summary>A stopped run is queued again, to resume from its last checkpoint.</summary>
    public static readonly RunTransition Resume = new("resume", [RunStatus.Cancelled, RunStatus.Failed, RunStatus.Interrupted], [RunStatus.Queued],
        "clears the cancel request, finished-at and error");

    /// <summary>Every transition; a status change not in it does not happen.</summary>
    public static readonly IReadOnlyList<RunTransition> All = [Claim, Finish, Interrupt, Cancel, Resume];

    /// <summary>Takes run <paramref name="runId"/> for <paramref name="worker"/> until <paramref name="leaseUntil"/>.</summary>
    public static async Task<bool> ClaimAsync(ProCoDbContext db, long runId, string worker, string? jobId, DateTimeOffset now, DateTimeOffset leaseUntil,
        CancellationToken cancellationToken = default) =>
        await Rows(db, runId, Claim).Where(r => !r.CancelRequested && (r.Status != RunStatus.Running || r.LeaseUntil < now))
            .ExecuteUpdateAsync(s =>
            {
                To(s, Claim, RunStatus.Running);
                s.SetProperty(r => r.Worker, worker)
                    .SetProperty(r => r.TrainedBy, worker)
                    .SetProperty(r => r.LeaseUntil, leaseUntil)
                    .SetProperty(r => r.JobId, jobId)
                    .SetProperty(r => r.Attempts, r => r.Attempts + 1)
                    .SetProperty(r => r.StartedAt, r => r.StartedAt ?? now)
                    .SetProperty(r => r.FinishedAt, (DateTimeOffset?)null)
                    .SetProperty(r => r.Error, (string?)null);
            }, cancellationToken) == 1;

    /// <summary>Extends the lease of the run <paramref name="worker"/> holds; false when it no longer does.</summary>
    public static async Task<bool> RenewAsync(ProCoDbContext db, long runId, string worker, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default) =>
        await Held(db, runId, worker).ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseUntil, leaseUntil), cancellationToken) == 1;

    /// <summary>Asks the worker holding a running run to stop at its next step (it finishes the run as cancelled).</summary>
    public static async Task<bool> RequestCancelAsync(ProCoDbContext db, long runId, CancellationToken cancellationToken = default) =>
        await Rows(db, runId, Finish).ExecuteUpdateAsync(s => s.SetProperty(r => r.CancelRequested, true), cancellationToken) == 1;

    /// <summary>Ends the run <paramref name="worker"/> holds with <paramref name="outcome"/>.</summary>
    public static async Task<bool> FinishAsync(ProCoDbContext db, long runId, string worker, RunStatus outcome, string? error, DateTimeOffset now,
        CancellationToken cancellationToken = default) =>
        await Held(db, runId, worker).ExecuteUpdateAsync(s =>
        {
            To(s, Finish, outcome);
            s.SetProperty(r => r.Worker, (string?)null)
                .SetProperty(r => r.LeaseUntil, (DateTimeOffset?)null)
                .SetProperty(r => r.FinishedAt, outcome == RunStatus.Interrupted ? null : now)
                .SetProperty(r => r.CancelRequested, false)
                .SetProperty(r => r.Error, error);
        }, cancellationToken) == 1;

    /// <summary>Takes a run back from <paramref name="worker"/>, which stopped renewing its lease.</summary>
    public static async Task<bool> InterruptAsync(ProCoDbContext db, long runId, string? worker, CancellationToken cancellationToken = default) =>
        await Rows(db, runId, Interrupt).Where(r => r.Worker == worker).ExecuteUpdateAsync(s =>
        {
            To(s, Interrupt, RunStatus.Interrupted);
            s.SetProperty(r => r.Worker, (string?)null).SetProperty(r => r.LeaseUntil, (DateTimeOffset?)null);
        }, cancellationToken) == 1;

    /// <summary>Cancels a run no worker holds.</summary>
    public static async Task<bool> CancelAsync(ProCoDbContext db, long runId, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        await Rows(db, runId, Cancel).ExecuteUpdateAsync(s =>
        {
            To(s, Cancel, RunStatus.Cancelled);
            s.SetProperty(r => r.FinishedAt, now);
        }, cancellationToken) == 1;

    /// <summary>Queues a stopped run again.</summary>
    public static async Task<bool> ResumeAsync(ProCoDbContext db, long runId, CancellationToken cancellationToken = default) =>
        await Rows(db, runId, Resume).ExecuteUpdateAsync(s =>
        {
            To(s, Resume, RunStatus.Queued);
            s.SetProperty(r => r.CancelRequested, false)
                .SetProperty(r => r.FinishedAt, (DateTimeOffset?)null)
                .SetProperty(r => r.Error, (string?)null);
        }, cancellationToken) == 1;

    /// <summary>
    /// Sets the job of a waiting run (not imported) whose job is <paramref name="expectedJob"/> (any job when
    /// <paramref name="anyJob"/>), and its queue when given: the lease monitor's requeue and a new job for a resumed run.
    /// </summary>
    public static async Task<bool> SetJobAsync(ProCoDbContext db, long runId, string? expectedJob, bool anyJob, string? jobId, string? queue,
        CancellationToken cancellationToken = default) =>
        await Rows(db, runId, Cancel).Where(r => !r.IsImported && (anyJob || r.JobId == expectedJob)).ExecuteUpdateAsync(s =>
        {
            s.SetProperty(r => r.JobId, jobId);
            if (queue is not null) s.SetProperty(r => r.Queue, queue);
        }, cancellationToken) == 1;

    // The run, in one of the statuses the transition starts from.
    private static IQueryable<Run> Rows(ProCoDbContext db, long runId, RunTransition transition) =>
        db.Runs.Where(r => r.Id == runId && transition.From.Contains(r.Status));

    // The running run this worker holds.
    private static IQueryable<Run> Held(ProCoDbContext db, long runId, string worker) =>
        db.Runs.Where(r => r.Id == runId && r.Status == RunStatus.Running && r.Worker == worker);

    // The status a transition sets, checked against the statuses it may lead to.
    private static void To(UpdateSettersBuilder<Run> setters, RunTransition transition, RunStatus status)
    {
        if (!transition.To.Contains(status))
            throw new InvalidOperationException($"The {transition.Name} of a run leads to {string.Join(" or ", transition.To)}, not {status}.");
        setters.SetProperty(r => r.Status, status);
    }
}
