using Hangfire;
using Microsoft.EntityFrameworkCore;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Web.Hosting;

namespace ProCo.Web.Runs;

/// <summary>
/// Why a queued run has not started: no live worker serves its queue (a CUDA run on a CPU-only
/// setup, or <c>ProCo:Workers=0</c> with no <c>proco worker</c> running), or the workers that do
/// are busy with the runs ahead of it. Read from Hangfire's server heartbeats.
/// </summary>
public sealed class WaitReasons(JobStorage storage, IDbContextFactory<ProCoDbContext> factory)
{
    /// <summary>A job server silent this long is not counted as live (Hangfire beats every 30 s).</summary>
    public static readonly TimeSpan Silence = TimeSpan.FromMinutes(2);

    /// <summary>The reason a run waits, or null when it is not waiting to start.</summary>
    public async Task<string?> ForAsync(Run run, CancellationToken ct = default)
    {
        if (run.Status != RunStatus.Queued) return null;
        var now = DateTime.UtcNow;
        var servers = storage.GetMonitoringApi().Servers()
            .Where(s => s.Heartbeat is { } beat && now - beat < Silence && s.Queues.Contains(run.Queue, StringComparer.Ordinal))
            .ToList();
        if (servers.Count == 0)
            return run.Queue == JobsServiceCollectionExtensions.GpuQueue
                ? "No live worker serves CUDA runs: start 'proco worker' on a machine with a CUDA device and the same storage, " +
                  "or clone this run with device 'cpu'. It starts as soon as such a worker joins."
                : "No live worker serves CPU runs (this server may run with ProCo:Workers=0): start 'proco worker' on the same " +
                  "storage. It starts as soon as a worker joins.";
        await using var db = await factory.CreateDbContextAsync(ct);
        var ahead = await db.Runs.CountAsync(r => r.Queue == run.Queue && r.Id != run.Id
            && (r.Status == RunStatus.Running || (r.Status == RunStatus.Queued && r.Id < run.Id)), ct);
        var slots = servers.Sum(s => s.WorkersCount);
        return ahead == 0
            ? "Starting: a worker is free."
            : $"Waiting for a free worker: {ahead} run{(ahead == 1 ? "" : "s")} ahead on the {run.Queue} queue, {slots} worker slot{(slots == 1 ? "" : "s")} live.";
    }
}
