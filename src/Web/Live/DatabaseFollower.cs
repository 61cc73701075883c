using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Web.Runs;

namespace ProCo.Web.Live;

/// <summary>
/// Runs watched in this web app but trained by another process (a <c>proco worker</c>): every
/// 200 ms their new points, vectors and row changes are read from the run database and published,
/// so their pages stream too. A run is followed from the baseline <see cref="PrimeAsync"/> takes
/// when the hub subscribes a page to it, before the page catches up from the database: what is
/// stored after the baseline is published, what is stored before it the page reads, so nothing
/// falls between. Everything it publishes is already stored.
/// </summary>
public sealed class DatabaseFollower(RunWatchers watchers, ActiveRuns active, IDbContextFactory<ProCoDbContext> factory,
    IRunPublisher publisher, ILogger<DatabaseFollower> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    // What of each followed run has been published: the last step of each series, the last epoch
    // of each vector kind, and the row's last state. Created only by PrimeAsync.
    private readonly ConcurrentDictionary<long, TailState> _tails = new();

    private sealed class TailState
    {
        public required Dictionary<string, long> LastStep { get; init; }
        public required Dictionary<string, int> LastEpoch { get; init; }
        public required string Fingerprint { get; set; }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Periodic.RunAsync(Interval, FollowAsync, stoppingToken);

    /// <summary>
    /// Takes the run's baseline if it is not followed yet (a run followed already keeps its own:
    /// everything after it is still to be published). Called by the hub before a subscription returns.
    /// </summary>
    public async Task PrimeAsync(long runId, CancellationToken cancellationToken)
    {
        if (active.IsRunningHere(runId) || _tails.ContainsKey(runId)) return;
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
        if (run is null || run.IsImported) return;
        var steps = await db.MetricPoints.AsNoTracking().Where(p => p.RunId == runId)
            .GroupBy(p => p.Series).Select(g => new { Series = g.Key, Step = g.Max(p => p.Step) }).ToDictionaryAsync(g => g.Series, g => g.Step, cancellationToken);
        var epochs = await db.EpochVectors.AsNoTracking().Where(v => v.RunId == runId)
            .GroupBy(v => v.Kind).Select(g => new { Kind = g.Key, Epoch = g.Max(v => v.Epoch) }).ToDictionaryAsync(g => g.Kind, g => g.Epoch, cancellationToken);
        _tails.TryAdd(runId, new TailState { LastStep = steps, LastEpoch = epochs, Fingerprint = Fingerprint(run) });
    }

    private static string Fingerprint(Run run) => $"{run.Status}|{run.CompletedEpochs}|{run.BestTop1}|{run.Error}";

    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        var watched = watchers.Watched();
        foreach (var id in _tails.Keys.Where(id => !watched.Contains(id))) _tails.TryRemove(id, out _);
        if (_tails.IsEmpty) return;
        try
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            foreach (var (runId, state) in _tails)
            {
                if (active.IsRunningHere(runId)) continue;
                var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
                if (run is null) continue;
                var fingerprint = Fingerprint(run);
                if (run.Status is RunStatus.Running || fingerprint != state.Fingerprint) await PublishNewAsync(db, run, state, cancellationToken);
                if (fingerprint != state.Fingerprint)
                {
                    publisher.Run(RunMessages.From(run));
                    state.Fingerprint = fingerprint;
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Following runs of other processes failed; trying again shortly.");
        }
    }

    private async Task PublishNewAsync(ProCoDbContext db, Run run, TailState state, CancellationToken cancellationToken)
    {
        var latest = await db.MetricPoints.AsNoTracking().Where(p => p.RunId == run.Id)
            .GroupBy(p => p.Series).Select(g => new { Series = g.Key, Step = g.Max(p => p.Step) }).ToListAsync(cancellationToken);
        var points = new List<LivePoint>();
        foreach (var series in latest)
        {
            var known = state.LastStep.GetValueOrDefault(series.Series, long.MinValue);
            if (series.Step <= known) continue;
            var rows = await db.MetricPoints.AsNoTracking().Where(p => p.RunId == run.Id && p.Series == series.Series && p.Step > known)
                .OrderBy(p => p.Step).Select(p => new { p.Step, p.Value }).ToListAsync(cancellationToken);
            points.AddRange(rows.Select(r => new LivePoint(series.Series, r.Step, r.Value ?? double.NaN)));
            state.LastStep[series.Series] = series.Step;
        }
        if (points.Count > 0) publisher.Points(run.Id, run.StepsPerEpoch, points);

        // Kinds of one epoch can land in different writer batches: each kind keeps its own mark.
        var after = state.LastEpoch.Count == 0 ? 0 : state.LastEpoch.Values.Min();
        var vectors = await db.EpochVectors.AsNoTracking().Where(v => v.RunId == run.Id && v.Epoch > after).ToListAsync(cancellationToken);
        foreach (var v in vectors.Where(v => v.Epoch > state.LastEpoch.GetValueOrDefault(v.Kind)).OrderBy(v => v.Epoch))
        {
            publisher.Vector(new VectorMessage(run.Id, v.Epoch, v.Kind, v.Values()));
            state.LastEpoch[v.Kind] = v.Epoch;
        }
    }
}
