using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Training.Datasets;

namespace ProCo.Web.Runs;

/// <summary>
/// Why a queued run has not started, from what the live workers advertise (<see cref="WorkerRecord"/>):
/// no worker at all, none with its device kind, its dataset on none of those, or its place in the
/// queue behind the runs ahead of it. The same explanation on one host and on many.
/// </summary>
public sealed class WaitReasons(IDbContextFactory<ProCoDbContext> factory, IOptions<JobsOptions> options)
{
    /// <summary>The workers whose heartbeat is recent, with the runs each trains now.</summary>
    public async Task<IReadOnlyList<WorkerView>> LiveWorkersAsync(CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var since = DateTimeOffset.UtcNow - TimeSpan.FromSeconds(options.Value.WorkerSilenceSeconds);
        var workers = await db.Workers.AsNoTracking().Where(w => w.HeartbeatAt > since).OrderBy(w => w.Host).ThenBy(w => w.StartedAt).ToListAsync(ct);
        var names = workers.Select(w => w.Name).ToList();
        var running = await db.Runs.AsNoTracking().Where(r => r.Status == RunStatus.Running && r.Worker != null && names.Contains(r.Worker))
            .Select(r => new WorkerRun(r.Id, r.Name, r.Worker!, r.Progress, r.CompletedEpochs, r.Epochs)).ToListAsync(ct);
        return [.. workers.Select(w => WorkerView.From(w, [.. running.Where(r => r.Worker == w.Name)]))];
    }

    /// <summary>
    /// The queue as workers see it: runs training now (oldest start first), then queued runs in the
    /// order workers take them (per queue, by id), each with its place in its queue and why it waits.
    /// At most <paramref name="take"/> queued runs are listed; <see cref="QueueView.QueuedTotal"/> counts all.
    /// </summary>
    public async Task<QueueView> QueueAsync(int take = 200, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var running = await db.Runs.AsNoTracking().Where(r => r.Status == RunStatus.Running).OrderBy(r => r.StartedAt).ThenBy(r => r.Id).ToListAsync(ct);
        var queued = await db.Runs.AsNoTracking().Where(r => r.Status == RunStatus.Queued && !r.IsImported)
            .OrderBy(r => r.Queue).ThenBy(r => r.Id).Take(take).ToListAsync(ct);
        var total = await db.Runs.CountAsync(r => r.Status == RunStatus.Queued && !r.IsImported, ct);
        var entries = new List<QueueEntry>(queued.Count);
        // The live workers are read once for the whole list, not once per waiting run.
        var live = await LiveWorkersAsync(ct);
        // Listed by queue, then id: every run ahead of a listed one in its queue is listed too.
        foreach (var group in queued.GroupBy(r => r.Queue))
        {
            var position = 0;
            // The runs ahead of each are the ones listed before it in its queue, and those training are in hand: no count per run.
            var training = running.Count(r => r.Queue == group.Key);
            foreach (var run in group)
            {
                var ahead = position++;
                entries.Add(new QueueEntry(RunSummary.From(run), run.Queue, position, await ForAsync(run, live, (ahead, training), ct)));
            }
        }
        return new QueueView([.. running.Select(r => new QueueEntry(RunSummary.From(r), r.Queue, 0, null))], entries, total);
    }

    /// <summary>The reason a run waits, or null when it is not waiting to start.</summary>
    public async Task<string?> ForAsync(Run run, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.Status != RunStatus.Queued || run.IsImported) return null;
        return await ForAsync(run, await LiveWorkersAsync(ct), null, ct);
    }

    // The reason a queued run waits, given the live workers, and the runs queued ahead of it and training in its queue
    // when the caller has them (else they are counted here).
    private async Task<string?> ForAsync(Run run, IReadOnlyList<WorkerView> live, (int Ahead, int Running)? counts, CancellationToken ct)
    {
        if (run.Status != RunStatus.Queued || run.IsImported) return null;
        var config = ProCo.Training.Engine.TrainingConfig.FromJson(run.ConfigJson);
        var kind = JobQueues.KindOf(config.Device);
        var dataset = DatasetCatalog.NormalizeName(config.Dataset);
        // Every worker takes auto runs.
        var ofKind = live.Where(w => kind == JobQueues.Any || w.Kinds.Contains(kind)).ToList();
        if (ofKind.Count == 0)
            return kind == JobQueues.Any
                ? "No worker is live (this server may run with ProCo:Workers=0): start 'proco worker' on the same storage. " +
                  "It starts as soon as a worker joins."
                : kind == JobQueues.Gpu
                ? "No live worker serves CUDA runs: start 'proco worker --devices cuda:0' on a machine with a CUDA device and the same storage, " +
                  "or clone this run with device 'cpu'. It starts as soon as such a worker joins."
                : "No live worker serves CPU runs (this server may run with ProCo:Workers=0): start 'proco worker' on the same " +
                  "storage. It starts as soon as a worker joins.";
        var queue = JobQueues.For(config);
        // Workers that fetch the run's queue (a worker that has just found the dataset switches its
        // queues once its current runs end).
        var able = ofKind.Where(w => w.Queues.Contains(queue)).ToList();
        if (able.Count == 0)
        {
            var switching = ofKind.Where(w => w.Datasets.Contains(dataset)).Select(w => w.Host).Distinct().ToList();
            if (switching.Count > 0)
                return $"The dataset {dataset} has just appeared on {string.Join(", ", switching)}; its worker takes this run once its current runs end.";
            var which = kind == JobQueues.Any ? "every live worker" : $"every live worker that takes {kind} runs";
            return $"The dataset {dataset} is missing on {which} ({string.Join(", ", ofKind.Select(w => w.Host).Distinct())}): " +
                   $"put it on one of them (proco download {dataset}, or proco dataset add for your own images); the worker notices within seconds.";
        }
        var (ahead, running) = counts is { } known && run.Queue == queue ? known : await CountAsync(run, queue, ct);
        var slots = able.Sum(w => w.Slots);
        var busy = able.Sum(w => w.Runs.Count);
        if (ahead == 0 && busy < slots) return "Starting: a worker is free.";
        return $"Position {ahead + 1} in the {queue} queue: {ahead} queued ahead, {running} running; " +
               $"{able.Count} live worker{(able.Count == 1 ? "" : "s")} with {dataset} ha{(able.Count == 1 ? "s" : "ve")} {slots} slot{(slots == 1 ? "" : "s")}, {busy} busy.";
    }

    private async Task<(int Ahead, int Running)> CountAsync(Run run, string queue, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var ahead = await db.Runs.CountAsync(r => r.Queue == queue && r.Status == RunStatus.Queued && r.Id < run.Id, ct);
        var running = await db.Runs.CountAsync(r => r.Queue == queue && r.Status == RunStatus.Running, ct);
        return (ahead, running);
    }
}

/// <summary>A run in the queue: its queue, its place in it (1 = next; 0 for a run training now) and why it waits.</summary>
public sealed record QueueEntry(RunSummary Run, string Queue, int Position, string? Waiting);

/// <summary>What <c>GET /api/queue</c> and the Queue page show.</summary>
public sealed record QueueView(IReadOnlyList<QueueEntry> Running, IReadOnlyList<QueueEntry> Queued, int QueuedTotal);

/// <summary>A run a worker trains now.</summary>
public sealed record WorkerRun(long Id, string Name, string Worker, double Progress, int CompletedEpochs, int Epochs);

/// <summary>A live worker as the Workers page and <c>GET /api/workers</c> show it.</summary>
public sealed record WorkerView(string Name, string Host, IReadOnlyList<string> Devices, IReadOnlyList<string> Kinds, IReadOnlyList<string> Datasets,
    IReadOnlyList<string> Queues, int Slots, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt, IReadOnlyList<WorkerRun> Runs)
{
    private static string[] List(string csv) => csv.Split(',', StringSplitOptions.RemoveEmptyEntries);

    public static WorkerView From(WorkerRecord w, IReadOnlyList<WorkerRun> runs)
    {
        ArgumentNullException.ThrowIfNull(w);
        return new(w.Name, w.Host, List(w.Devices), List(w.Kinds), List(w.Datasets), List(w.Queues), w.Slots, w.StartedAt, w.HeartbeatAt, runs);
    }
}
