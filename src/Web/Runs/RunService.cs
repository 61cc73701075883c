using Hangfire;
using Hangfire.States;
using Microsoft.EntityFrameworkCore;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Training.Engine;
using ProCo.Web.Hosting;
using ProCo.Web.Live;

namespace ProCo.Web.Runs;

/// <summary>A run to create: a name, tags and the training configuration.</summary>
public sealed record RunRequest(string? Name, IReadOnlyList<string>? Tags, TrainingConfig? Config);

/// <summary>Why an action on a run did not happen (maps to an HTTP status).</summary>
public enum RunActionError
{
    None,
    NotFound,
    Conflict,
}

/// <summary>Queueing, cancelling, resuming and deleting runs: the actions the UI and the API share.</summary>
public sealed class RunService(
    IDbContextFactory<ProCoDbContext> factory,
    IBackgroundJobClient jobs,
    ActiveRuns active,
    RunFolders folders,
    RunBroadcaster broadcaster,
    DataPaths paths)
{
    /// <summary>Field errors of a request, keyed by the JSON field name; empty when it is valid.</summary>
    public static Dictionary<string, string[]> Validate(RunRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Config is null)
        {
            errors["config"] = ["A training configuration is required."];
            return errors;
        }
        foreach (var (field, message) in request.Config.Validate())
            errors[$"config.{char.ToLowerInvariant(field[0])}{field[1..]}"] = [message];
        if (request.Name is { Length: > 200 }) errors["name"] = ["At most 200 characters."];
        if (request.Tags is not null && request.Tags.Any(t => string.IsNullOrWhiteSpace(t) || t.Contains(',', StringComparison.Ordinal) || t.Length > 50))
            errors["tags"] = ["Tags are non-empty words of at most 50 characters, without commas."];
        return errors;
    }

    /// <summary>Stores a queued run and enqueues its job. The request must be valid.</summary>
    public async Task<Run> CreateAsync(RunRequest request, CancellationToken cancellationToken = default)
    {
        var config = request.Config!.Validated();
        var run = new Run
        {
            Name = string.IsNullOrWhiteSpace(request.Name) ? DefaultName(config) : request.Name.Trim(),
            Method = config.Method,
            Dataset = config.Dataset,
            ImbalanceFactor = config.ImbalanceFactor,
            Epochs = config.Epochs,
            ConfigJson = config.ToJson(),
            Tags = string.Join(',', (request.Tags ?? []).Select(t => t.Trim())),
            Status = RunStatus.Queued,
            Queue = config.Device.StartsWith("cuda", StringComparison.Ordinal) ? JobsServiceCollectionExtensions.GpuQueue : JobsServiceCollectionExtensions.CpuQueue,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        db.Runs.Add(run);
        await db.SaveChangesAsync(cancellationToken);
        run.JobId = Enqueue(run.Id, run.Queue);
        await db.SaveChangesAsync(cancellationToken);
        broadcaster.Run(RunMessages.From(run));
        return run;
    }

    /// <summary>e.g. "proco cifar100-LT 100 (200 ep)".</summary>
    public static string DefaultName(TrainingConfig config) =>
        $"{config.Method} {config.Dataset}-LT {1 / config.ImbalanceFactor:0.##} ({config.Epochs} ep)";

    /// <summary>Enqueues the job of a run on its queue.</summary>
    public string Enqueue(long runId, string queue) =>
        jobs.Create<TrainingJob>(job => job.Run(runId, null, CancellationToken.None), new EnqueuedState(queue));

    /// <summary>
    /// A queued or interrupted run is cancelled at once; a running one is asked to stop (it writes a
    /// checkpoint at its next step and becomes Cancelled).
    /// </summary>
    public async Task<(RunActionError Error, string Message)> CancelAsync(long runId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
        if (run is null) return (RunActionError.NotFound, $"Run {runId} does not exist.");
        if (run.IsImported) return (RunActionError.Conflict, "Imported runs are read-only.");
        switch (run.Status)
        {
            case RunStatus.Queued or RunStatus.Interrupted:
            {
                var rows = await db.Runs.Where(r => r.Id == runId && (r.Status == RunStatus.Queued || r.Status == RunStatus.Interrupted))
                    .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, RunStatus.Cancelled).SetProperty(r => r.FinishedAt, DateTimeOffset.UtcNow), cancellationToken);
                if (rows == 0) return await CancelAsync(runId, cancellationToken); // it started meanwhile
                if (run.JobId is not null) jobs.Delete(run.JobId);
                await AnnounceAsync(runId, cancellationToken);
                return (RunActionError.None, "Cancelled before it started.");
            }
            case RunStatus.Running:
                await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.CancelRequested, true), cancellationToken);
                active.TryCancel(runId);
                return (RunActionError.None, "Stopping at the next step; a checkpoint will be written.");
            default:
                return (RunActionError.Conflict, $"Run {runId} is {run.Status}; only queued, running or interrupted runs can be cancelled.");
        }
    }

    /// <summary>Queues a cancelled, failed or interrupted run again; it resumes from its last checkpoint.</summary>
    public async Task<(RunActionError Error, string Message)> ResumeAsync(long runId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
        if (run is null) return (RunActionError.NotFound, $"Run {runId} does not exist.");
        if (run.IsImported) return (RunActionError.Conflict, "Imported runs are read-only.");
        if (run.Status == RunStatus.Succeeded)
            return (RunActionError.Conflict, $"Run {runId} already finished all {run.Epochs} epochs; clone it to train another run.");
        if (run.Status is not (RunStatus.Cancelled or RunStatus.Failed or RunStatus.Interrupted))
            return (RunActionError.Conflict, $"Run {runId} is {run.Status}; only cancelled, failed or interrupted runs can be resumed.");
        var rows = await db.Runs.Where(r => r.Id == runId && (r.Status == RunStatus.Cancelled || r.Status == RunStatus.Failed || r.Status == RunStatus.Interrupted))
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, RunStatus.Queued)
                .SetProperty(r => r.CancelRequested, false)
                .SetProperty(r => r.FinishedAt, (DateTimeOffset?)null)
                .SetProperty(r => r.Error, (string?)null), cancellationToken);
        if (rows == 0) return (RunActionError.Conflict, "The run changed meanwhile; try again.");
        var jobId = Enqueue(runId, run.Queue);
        await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.JobId, jobId), cancellationToken);
        await AnnounceAsync(runId, cancellationToken);
        return (RunActionError.None, "Queued; it resumes from its last checkpoint.");
    }

    /// <summary>Deletes a run that is not training, with its metrics and files.</summary>
    public async Task<(RunActionError Error, string Message)> DeleteAsync(long runId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
        if (run is null) return (RunActionError.NotFound, $"Run {runId} does not exist.");
        if (run.Status == RunStatus.Running) return (RunActionError.Conflict, $"Run {runId} is training; cancel it first.");
        if (run.JobId is not null) jobs.Delete(run.JobId);
        // Cascades to metric points, vectors, checkpoints and events.
        await db.Runs.Where(r => r.Id == runId).ExecuteDeleteAsync(cancellationToken);
        var folder = folders.For(runId);
        if (Directory.Exists(folder) && folder.StartsWith(paths.RunsDir, StringComparison.Ordinal)) Directory.Delete(folder, recursive: true);
        return (RunActionError.None, $"Run {runId} deleted.");
    }

    private async Task AnnounceAsync(long runId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
        if (run is not null) broadcaster.Run(RunMessages.From(run));
    }
}
