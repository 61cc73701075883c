using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Web.Live;

namespace ProCo.Web.Runs;

/// <summary>
/// Finds runs whose worker died (lease expired, or a process on this host that no longer exists)
/// and runs left interrupted or queued without a live job, and queues a fresh job that resumes
/// them from their last checkpoint, without waiting for Hangfire's invisibility timeout.
/// </summary>
public sealed class LeaseMonitor(
    IDbContextFactory<ProCoDbContext> factory,
    RunService runs,
    JobStorage storage,
    MetricWriter writer,
    WorkerIdentity identity,
    IOptions<JobsOptions> options,
    IRunPublisher publisher,
    ILogger<LeaseMonitor> logger) : BackgroundService
{
    private static readonly HashSet<string> LiveJobStates = ["Enqueued", "Processing", "Scheduled", "Awaiting"];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.MonitorSeconds));
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "The lease monitor's sweep failed; it runs again shortly.");
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken token)
    {
        try
        {
            return await timer.WaitForNextTickAsync(token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>One pass: interrupt runs of dead workers, requeue runs without a live job.</summary>
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var now = DateTimeOffset.UtcNow;
        var running = await db.Runs.AsNoTracking().Where(r => r.Status == RunStatus.Running)
            .Select(r => new { r.Id, r.Worker, r.LeaseUntil, r.ConfigJson }).ToListAsync(cancellationToken);
        foreach (var run in running)
        {
            var expired = run.LeaseUntil is null || run.LeaseUntil < now;
            if (!expired && !identity.IsDeadLocalProcess(run.Worker)) continue;
            if (await RunTransitions.InterruptAsync(db, run.Id, run.Worker, cancellationToken))
            {
                writer.Add(new RunEvent
                {
                    RunId = run.Id, At = now, Level = RunEventLevel.Warning.Word(),
                    Message = $"Worker {run.Worker} stopped renewing its lease; the run resumes from its last checkpoint.",
                });
                await RequeueAsync(db, run.Id, JobQueues.Of(run.ConfigJson), matchJob: false, null, cancellationToken);
                // Browsers hear of it from here when no follower reads the database (over Redis).
                if (await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == run.Id, cancellationToken) is { } row) publisher.Run(RunMessages.From(row));
            }
        }

        // Workers that are gone: a process of this host that no longer exists, or a heartbeat long silent.
        var silent = now - TimeSpan.FromSeconds(options.Value.WorkerSilenceSeconds * 10);
        var workers = await db.Workers.AsNoTracking().Select(w => new { w.Name, w.HeartbeatAt }).ToListAsync(cancellationToken);
        var gone = workers.Where(w => w.HeartbeatAt < silent || identity.IsDeadLocalProcess(w.Name)).Select(w => w.Name).ToList();
        if (gone.Count > 0) await db.Workers.Where(w => gone.Contains(w.Name)).ExecuteDeleteAsync(cancellationToken);

        var waiting = await db.Runs.AsNoTracking()
            .Where(r => RunStatusRules.Waiting.Contains(r.Status) && !r.IsImported)
            .Select(r => new { r.Id, r.JobId, r.Queue, r.ConfigJson }).ToListAsync(cancellationToken);
        foreach (var run in waiting)
        {
            // A job in a queue no worker reads (queued by a version with one queue per device kind)
            // is replaced by one in the run's queue of today.
            var queue = JobQueues.Of(run.ConfigJson);
            var moved = run.Queue != queue;
            if (!moved && run.JobId is not null && HasLiveJob(run.JobId)) continue;
            if (await RequeueAsync(db, run.Id, queue, matchJob: true, run.JobId, cancellationToken) && moved && run.JobId is not null
                && !run.JobId.StartsWith("requeue:", StringComparison.Ordinal))
                new BackgroundJobClient(storage).Delete(run.JobId);
        }
    }

    private bool HasLiveJob(string jobId)
    {
        if (jobId.StartsWith("requeue:", StringComparison.Ordinal)) return true; // another monitor is enqueuing it
        using var connection = storage.GetConnection();
        var state = connection.GetStateData(jobId);
        return state is not null && LiveJobStates.Contains(state.Name);
    }

    // Only one monitor (of possibly several processes) wins the conditional update and enqueues;
    // a failure to enqueue puts the previous job id back, so the next sweep tries again.
    private async Task<bool> RequeueAsync(ProCoDbContext db, long runId, string queue, bool matchJob, string? previousJobId, CancellationToken cancellationToken)
    {
        var marker = $"requeue:{Guid.NewGuid():N}";
        if (!await RunTransitions.SetJobAsync(db, runId, previousJobId, anyJob: !matchJob, marker, null, cancellationToken)) return false;
        string jobId;
        try
        {
            jobId = runs.Enqueue(runId, queue);
        }
        catch
        {
            await RunTransitions.SetJobAsync(db, runId, marker, anyJob: false, previousJobId, null, CancellationToken.None);
            throw;
        }
        await RunTransitions.SetJobAsync(db, runId, marker, anyJob: false, jobId, queue, cancellationToken);
        logger.LogInformation("Run {RunId} requeued as job {JobId} in {Queue}.", runId, jobId, queue);
        return true;
    }
}
