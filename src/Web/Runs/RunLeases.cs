using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ProCo.Data;
using ProCo.Data.Entities;

namespace ProCo.Web.Runs;

/// <summary>
/// The lease on a run row: a worker claims a run before training it and renews the claim while it
/// trains, so a second delivery of the same job finds the run taken, and a dead worker's run is
/// recognised by its expired lease.
/// </summary>
public sealed class RunLeases(IDbContextFactory<ProCoDbContext> factory, IOptions<JobsOptions> options, WorkerIdentity identity)
{
    private TimeSpan Lease => TimeSpan.FromSeconds(options.Value.LeaseSeconds);

    /// <summary>Takes the run for this worker if it is waiting (queued or interrupted) or its holder's lease ran out.</summary>
    public async Task<bool> TryClaimAsync(long runId, string? jobId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var now = DateTimeOffset.UtcNow;
        var until = now + Lease;
        var rows = await db.Runs
            .Where(r => r.Id == runId && !r.CancelRequested &&
                        (r.Status == RunStatus.Queued || r.Status == RunStatus.Interrupted ||
                         (r.Status == RunStatus.Running && r.LeaseUntil < now)))
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, RunStatus.Running)
                .SetProperty(r => r.Worker, identity.Name)
                .SetProperty(r => r.LeaseUntil, until)
                .SetProperty(r => r.JobId, jobId)
                .SetProperty(r => r.Attempts, r => r.Attempts + 1)
                .SetProperty(r => r.StartedAt, r => r.StartedAt ?? now)
                .SetProperty(r => r.FinishedAt, (DateTimeOffset?)null)
                .SetProperty(r => r.Error, (string?)null), cancellationToken);
        return rows == 1;
    }

    /// <summary>Extends this worker's lease; false when the run is no longer this worker's.</summary>
    public async Task<(bool StillOurs, bool CancelRequested)> RenewAsync(long runId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var until = DateTimeOffset.UtcNow + Lease;
        var rows = await db.Runs
            .Where(r => r.Id == runId && r.Worker == identity.Name && r.Status == RunStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseUntil, until), cancellationToken);
        var cancel = await db.Runs.Where(r => r.Id == runId).Select(r => r.CancelRequested).FirstOrDefaultAsync(cancellationToken);
        return (rows == 1, cancel);
    }

    /// <summary>Ends the run with <paramref name="status"/> if this worker still holds it.</summary>
    public async Task<bool> FinishAsync(long runId, RunStatus status, string? error = null)
    {
        await using var db = await factory.CreateDbContextAsync();
        var now = DateTimeOffset.UtcNow;
        var final = !status.IsInFlight();
        var rows = await db.Runs
            .Where(r => r.Id == runId && r.Worker == identity.Name)
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, status)
                .SetProperty(r => r.Worker, (string?)null)
                .SetProperty(r => r.LeaseUntil, (DateTimeOffset?)null)
                .SetProperty(r => r.FinishedAt, final ? now : null)
                .SetProperty(r => r.CancelRequested, false)
                .SetProperty(r => r.Error, error));
        return rows == 1;
    }
}
