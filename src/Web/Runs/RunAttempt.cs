using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;
using ProCo.Web.Live;

namespace ProCo.Web.Runs;

/// <summary>Claims runs for this worker: each claim is a <see cref="RunAttempt"/> that owns the run until it ends.</summary>
public sealed class RunAttempts(
    IDbContextFactory<ProCoDbContext> factory,
    MetricWriter writer,
    IRunPublisher publisher,
    ActiveRuns active,
    WorkerIdentity identity,
    IOptions<JobsOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<RunAttempt> logger)
{
    /// <summary>
    /// Takes the run for this worker (<see cref="RunTransitions.Claim"/>) and starts renewing its lease; null when it is
    /// taken or finished already (a second delivery of its job, which then has nothing to do).
    /// </summary>
    public async Task<RunAttempt?> ClaimAsync(long runId, string? jobId, CancellationToken cancellationToken)
    {
        bool claimed;
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            var now = DateTimeOffset.UtcNow;
            claimed = await RunTransitions.ClaimAsync(db, runId, identity.Name, jobId, now, now + Lease, cancellationToken);
        }
        if (!claimed)
        {
            writer.Add(RunAttempt.Event(runId, RunEventLevel.Info, $"Job {jobId} reached {identity.Name}, but the run is already taken or finished; nothing to do."));
            await writer.FlushAsync(CancellationToken.None);
            return null;
        }
        // The points of an earlier attempt that could not be stored are behind its last checkpoint, where this one starts.
        writer.Forget(runId);
        return new RunAttempt(runId, this);
    }

    internal TimeSpan Lease => TimeSpan.FromSeconds(options.Value.LeaseSeconds);
    internal TimeSpan RenewEvery => TimeSpan.FromSeconds(options.Value.RenewSeconds);
    internal IDbContextFactory<ProCoDbContext> Factory => factory;
    internal MetricWriter Writer => writer;
    internal IRunPublisher Publisher => publisher;
    internal ActiveRuns Active => active;
    internal WorkerIdentity Identity => identity;
    internal CancellationToken HostStopping => lifetime.ApplicationStopping;
    internal ILogger Logger => logger;
}

/// <summary>
/// One claimed run, from its lease to its outcome. While it lives it renews the lease and watches for a cancel
/// request; <see cref="Stopping"/> fires for a cancel, a lost lease or the host stopping. How the run ends is
/// decided in one place, <see cref="EndAsync"/>: its status from the trainer's outcome or failure, its last
/// events and points stored (a failure to store them fails the run with the reason), then the one UPDATE of
/// <see cref="RunTransitions.Finish"/>, unless another worker took the run meanwhile.
/// </summary>
public sealed class RunAttempt : IAsyncDisposable
{
    private readonly RunAttempts _services;
    private readonly CancellationTokenSource _stop;
    private readonly CancellationTokenSource _renewing = new();
    private readonly Task _renewal;
    private int _leaseLost;
    private int _ended;

    internal RunAttempt(long runId, RunAttempts services)
    {
        RunId = runId;
        _services = services;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(services.HostStopping);
        services.Active.Register(runId, _stop);
        _renewal = Task.Run(RenewLoopAsync, CancellationToken.None);
    }

    /// <summary>The run.</summary>
    public long RunId { get; }

    /// <summary>Fires when the run must stop at its next step: a cancel request, a lost lease, the host stopping.</summary>
    public CancellationToken Stopping => _stop.Token;

    /// <summary>True once another worker holds the run (this one stopped renewing in time, or was taken for dead).</summary>
    public bool LeaseLost => Volatile.Read(ref _leaseLost) == 1;

    /// <summary>Records an event of the run.</summary>
    public void Log(RunEventLevel level, string message) => _services.Writer.Add(Event(RunId, level, message));

    internal static RunEvent Event(long runId, RunEventLevel level, string message) =>
        new() { RunId = runId, At = DateTimeOffset.UtcNow, Level = level.Word(), Message = message };

    /// <summary>
    /// Ends the attempt: from the trainer's <paramref name="outcome"/> (null when it threw <paramref name="failure"/>)
    /// the run's status, then its last lines stored, then the run finished, once.
    /// </summary>
    public async Task EndAsync(TrainingOutcome? outcome, Exception? failure)
    {
        if (Interlocked.Exchange(ref _ended, 1) == 1) return;
        await StopRenewingAsync();
        var writer = _services.Writer;
        if (LeaseLost)
        {
            await writer.FlushAsync(CancellationToken.None);
            _services.Logger.LogWarning("Run {RunId}: lease lost to another worker; leaving it to them.", RunId);
            return;
        }
        var (status, error) = await DecideAsync(outcome, failure);
        // Everything the trainer gave is stored before the outcome is told: a run whose last numbers the store refused
        // has failed, and its last line says so.
        try
        {
            await writer.FlushAsync(RunId, CancellationToken.None);
        }
        catch (MetricWriteException stored) when (status != RunStatus.Failed)
        {
            (status, error) = (RunStatus.Failed, stored.Message);
        }
        catch (MetricWriteException)
        {
            // Failed already; the reason stands.
        }
        Log(status == RunStatus.Failed ? RunEventLevel.Error : RunEventLevel.Info, status switch
        {
            RunStatus.Succeeded => "Training finished.",
            RunStatus.Cancelled => "Cancelled; the last checkpoint holds the state at the stop.",
            RunStatus.Interrupted => "The worker is shutting down; the run resumes from its checkpoint at the next start.",
            _ => $"Training failed: {error}" + (failure is null or MetricWriteException ? "" : $"\n{failure}"),
        });
        // The line stored before the run is announced finished: a page reading its log then finds it.
        await writer.FlushAsync(CancellationToken.None);
        await using var db = await _services.Factory.CreateDbContextAsync();
        await RunTransitions.FinishAsync(db, RunId, _services.Identity.Name, status, error, DateTimeOffset.UtcNow);
        if (await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == RunId) is { } run) _services.Publisher.Run(RunMessages.From(run));
    }

    // The run's status and error: finished, failed (with the reason as a person reads it), cancelled on request, or interrupted.
    private async Task<(RunStatus Status, string? Error)> DecideAsync(TrainingOutcome? outcome, Exception? failure)
    {
        if (outcome == TrainingOutcome.Completed) return (RunStatus.Succeeded, null);
        // Stopped (at a step, or before training began while waiting for a device): a cancel request, else the host stopping.
        if (outcome == TrainingOutcome.Cancelled || (failure is OperationCanceledException && Stopping.IsCancellationRequested))
            return (await CancelRequestedAsync() ? RunStatus.Cancelled : RunStatus.Interrupted, null);
        var message = failure switch
        {
            null => "the trainer ended without an outcome",
            MetricWriteException or DatasetMissingException or InvalidDataException or ArgumentException or InvalidOperationException => failure.Message,
            _ => $"{failure.GetType().Name}: {failure.Message}",
        };
        return (RunStatus.Failed, message);
    }

    private async Task<bool> CancelRequestedAsync()
    {
        await using var db = await _services.Factory.CreateDbContextAsync();
        return await db.Runs.Where(r => r.Id == RunId).Select(r => r.CancelRequested).FirstOrDefaultAsync();
    }

    private async Task RenewLoopAsync()
    {
        using var timer = new PeriodicTimer(_services.RenewEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(_renewing.Token))
            {
                try
                {
                    await using var db = await _services.Factory.CreateDbContextAsync(_renewing.Token);
                    if (!await RunTransitions.RenewAsync(db, RunId, _services.Identity.Name, DateTimeOffset.UtcNow + _services.Lease, _renewing.Token))
                    {
                        Interlocked.Exchange(ref _leaseLost, 1);
                        await _stop.CancelAsync();
                        return;
                    }
                    if (await db.Runs.Where(r => r.Id == RunId).Select(r => r.CancelRequested).FirstOrDefaultAsync(_renewing.Token))
                        await _stop.CancelAsync();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _services.Logger.LogWarning(e, "Renewing the lease of run {RunId} failed; retrying.", RunId);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task StopRenewingAsync()
    {
        await _renewing.CancelAsync();
        await _renewal.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>An attempt left without <see cref="EndAsync"/> (a bug) still ends: as failed, with that said.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await EndAsync(null, null);
        }
        finally
        {
            _services.Active.Unregister(RunId);
            _stop.Dispose();
            _renewing.Dispose();
        }
    }
}
