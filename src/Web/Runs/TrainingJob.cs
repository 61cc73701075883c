using Hangfire;
using Hangfire.Server;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;
using ProCo.Web.Hosting;
using ProCo.Web.Live;
using TorchSharp;

namespace ProCo.Web.Runs;

/// <summary>
/// The Hangfire job that trains one run. It carries only the run id, claims the run's lease first
/// (a duplicate delivery finds the run taken and returns), renews the lease while training,
/// resumes from the run's last checkpoint when there is one, and never retries on its own.
/// </summary>
public sealed class TrainingJob(
    IDbContextFactory<ProCoDbContext> factory,
    RunLeases leases,
    MetricWriter writer,
    IRunPublisher publisher,
    RunFolders folders,
    DatasetCatalog catalog,
    WeightsLibrary weights,
    ActiveRuns active,
    DevicePool devices,
    WorkerIdentity identity,
    IOptions<JobsOptions> options,
    ProCoOptions settings,
    IHostApplicationLifetime lifetime,
    ILogger<TrainingJob> logger)
{
    /// <summary>
    /// Trains run <paramref name="runId"/>; Hangfire fills in the context and its token. Training stops
    /// only for our own reasons (a cancel request, a lost lease, the host shutting down), not when
    /// Hangfire's token fires because its storage handed the job to another worker after the
    /// invisibility timeout: that copy finds the run taken and returns.
    /// </summary>
    [AutomaticRetry(Attempts = 0, OnAttemptsExceeded = AttemptsExceededAction.Delete)]
    [JobDisplayName("Train run {0}")]
    public void Run(long runId, PerformContext? context, CancellationToken cancellationToken)
    {
        var jobId = context?.BackgroundJob?.Id;
        if (!leases.TryClaimAsync(runId, jobId, cancellationToken).GetAwaiter().GetResult())
        {
            Event(runId, "info", $"Job {jobId} reached {identity.Name}, but the run is already taken or finished; nothing to do.");
            writer.FlushAsync(CancellationToken.None).GetAwaiter().GetResult();
            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);
        var lostLease = false;
        active.Register(runId, stop);
        using var renewing = new CancellationTokenSource();
        var renewal = Task.Run(() => RenewLoopAsync(runId, stop, () => lostLease = true, renewing.Token), CancellationToken.None);
        try
        {
            var outcome = Train(runId, stop.Token);
            renewing.Cancel();
            renewal.Wait(TimeSpan.FromSeconds(10), CancellationToken.None);
            var status = outcome == TrainingOutcome.Completed ? RunStatus.Succeeded
                : CancelRequested(runId) ? RunStatus.Cancelled
                : RunStatus.Interrupted; // the host is shutting down: resumed at its next start
            if (!lostLease)
            {
                Event(runId, "info", status switch
                {
                    RunStatus.Succeeded => "Training finished.",
                    RunStatus.Cancelled => "Cancelled; the last checkpoint holds the state at the stop.",
                    _ => "The worker is shutting down; the run resumes from its checkpoint at the next start.",
                });
            }
            // Everything stored before the run is announced finished: a page reading its log then finds the last line.
            writer.FlushAsync(CancellationToken.None).GetAwaiter().GetResult();
            if (lostLease)
            {
                logger.LogWarning("Run {RunId}: lease lost to another worker; leaving it to them.", runId);
                return;
            }
            Finish(runId, status, null);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped before training began (waiting for a device): not a failure.
            renewing.Cancel();
            writer.FlushAsync(CancellationToken.None).GetAwaiter().GetResult();
            if (!lostLease) Finish(runId, CancelRequested(runId) ? RunStatus.Cancelled : RunStatus.Interrupted, null);
        }
        catch (Exception e)
        {
            renewing.Cancel();
            var message = e is DatasetMissingException or InvalidDataException or ArgumentException or InvalidOperationException
                ? e.Message
                : $"{e.GetType().Name}: {e.Message}";
            Event(runId, "error", $"Training failed: {message}\n{e}");
            writer.FlushAsync(CancellationToken.None).GetAwaiter().GetResult();
            if (!lostLease) Finish(runId, RunStatus.Failed, message);
        }
        finally
        {
            active.Unregister(runId);
        }
    }

    private TrainingOutcome Train(long runId, CancellationToken cancellationToken)
    {
        Run run;
        string? resumeFrom = null;
        using (var db = factory.CreateDbContext())
        {
            run = db.Runs.AsNoTracking().Single(r => r.Id == runId);
            var last = db.Checkpoints.AsNoTracking().FirstOrDefault(c => c.RunId == runId && c.Kind == "last");
            if (last is not null) resumeFrom = folders.ResolveInside(last.RelativePath);
        }
        var config = TrainingConfig.FromJson(run.ConfigJson).Validated();
        // One training per device: a CUDA run trains on the device lent to it (its queue brought it
        // only to a worker with CUDA devices), whichever index it named; an auto run on the device lent
        // to it, CUDA where this worker has it.
        var kind = JobQueues.KindOf(config.Device);
        using var device = devices.Acquire(kind, cancellationToken);
        if (kind != JobQueues.Cpu) config = config with { Device = device.Device };
        // libtorch's thread count is per thread: this job's thread trains with its share of the cores.
        var threads = JobsServiceCollectionExtensions.TrainingThreads(settings);
        if (torch.get_num_threads() != threads) torch.set_num_threads(threads);
        Event(runId, "info", $"Started by {identity.Name} on {config.Device} (attempt {run.Attempts}, {threads} CPU thread{(threads == 1 ? "" : "s")})" +
                             (resumeFrom is null ? "." : $", resuming from {folders.Relative(resumeFrom)}."));
        var data = TrainingData.Load(config, catalog);
        using var trainer = new Trainer(config, data)
        {
            InitialWeightsPath = config.InitFrom is { } initial
                ? weights.PathOf(initial) ?? throw new InvalidDataException($"The initial weights '{initial}' are no longer in the weights library.")
                : null,
        };
        using var system = new SystemSampler(config.BatchSize, config.Device, run.StartedAt ?? DateTimeOffset.UtcNow);
        var sink = new RunMetricSink(runId, writer, publisher, factory, folders, system);
        var result = trainer.Run(sink, folders.For(runId), resumeFrom, cancellationToken);
        return result.Outcome;
    }

    private async Task RenewLoopAsync(long runId, CancellationTokenSource stop, Action onLost, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.RenewSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    var (ours, cancel) = await leases.RenewAsync(runId, cancellationToken);
                    if (!ours)
                    {
                        onLost();
                        await stop.CancelAsync();
                        return;
                    }
                    if (cancel) await stop.CancelAsync();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Renewing the lease of run {RunId} failed; retrying.", runId);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private bool CancelRequested(long runId)
    {
        using var db = factory.CreateDbContext();
        return db.Runs.Where(r => r.Id == runId).Select(r => r.CancelRequested).FirstOrDefault();
    }

    private void Finish(long runId, RunStatus status, string? error)
    {
        leases.FinishAsync(runId, status, error).GetAwaiter().GetResult();
        using var db = factory.CreateDbContext();
        var run = db.Runs.AsNoTracking().FirstOrDefault(r => r.Id == runId);
        if (run is not null) publisher.Run(RunMessages.From(run));
    }

    private void Event(long runId, string level, string message) =>
        writer.Add(new RunEvent { RunId = runId, At = DateTimeOffset.UtcNow, Level = level, Message = message });
}
