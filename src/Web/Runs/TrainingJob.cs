using Hangfire;
using Hangfire.Server;
using ProCo.Training.Engine;

namespace ProCo.Web.Runs;

/// <summary>
/// The Hangfire job that trains one run. It carries only the run id, claims the run first (a duplicate delivery
/// finds it taken and returns), trains it on a thread of its own, and leaves how the run ends to its
/// <see cref="RunAttempt"/>. It never retries on its own: a run that stopped resumes from its checkpoint when it is
/// queued again (by the lease monitor, or by a person).
/// </summary>
public sealed class TrainingJob(RunAttempts attempts, RunTraining training)
{
    /// <summary>
    /// Trains run <paramref name="runId"/>; Hangfire fills in the context and its token. Training stops only for
    /// our own reasons (a cancel request, a lost lease, the host stopping: <see cref="RunAttempt.Stopping"/>), not when
    /// Hangfire's token fires because its storage handed the job to another worker after the invisibility timeout:
    /// that copy finds the run taken and returns.
    /// </summary>
    [AutomaticRetry(Attempts = 0, OnAttemptsExceeded = AttemptsExceededAction.Delete)]
    [JobDisplayName("Train run {0}")]
    public async Task Run(long runId, PerformContext? context, CancellationToken cancellationToken)
    {
        await using var attempt = await attempts.ClaimAsync(runId, context?.BackgroundJob?.Id, CancellationToken.None);
        if (attempt is null) return;
        TrainingOutcome? outcome = null;
        Exception? failure = null;
        try
        {
            // A thread of its own for hours of libtorch work (its thread count is set per thread), not one of the pool's.
            outcome = await Task.Factory.StartNew(() => training.Train(attempt), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch (Exception e)
        {
            failure = e;
        }
        await attempt.EndAsync(outcome, failure);
    }
}
