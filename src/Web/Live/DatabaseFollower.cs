using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Training.Engine;
using ProCo.Web.Runs;

namespace ProCo.Web.Live;

/// <summary>
/// Runs watched in this web app but trained by another process (a <c>proco worker</c>): every 200 ms their new points
/// and vectors and their row's changes are read from the run database and published, so their pages stream too. Each
/// read asks only for what is new, by high-water mark: per series the last step published, per vector kind the last
/// epoch, each an index range on the table's key (SQLite's plan checked by a test), so a poll costs the same for a run of a
/// hundred points as of millions.
/// A run is followed from the baseline <see cref="PrimeAsync"/> takes when the hub subscribes a page to it, before the
/// page catches up from the database: what is stored after the baseline is published, what is stored before it the page
/// reads, so nothing falls between. Everything it publishes is already stored.
/// </summary>
public sealed class DatabaseFollower(RunWatchers watchers, ActiveRuns active, IDbContextFactory<ProCoDbContext> factory,
    IRunPublisher publisher, ILogger<DatabaseFollower> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    // The series and vector kinds a trainer reports: the marks are kept for these.
    private static readonly IReadOnlyList<string> SeriesNames = [.. Series.All.Select(s => s.Name)];
    // What of each followed run has been published: the last step of each series, the last epoch of each vector kind,
    // and the row as last announced. Created only by PrimeAsync.
    private readonly ConcurrentDictionary<long, TailState> _tails = new();

    private sealed class TailState
    {
        public required Dictionary<string, long> LastStep { get; init; }
        public required Dictionary<string, int> LastEpoch { get; init; }
        public required RunMessage Row { get; set; }
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
        // The newest step of each series and epoch of each kind: one index seek each (the key's last entry), whatever the run's size.
        var steps = new Dictionary<string, long>();
        foreach (var series in SeriesNames)
        {
            var last = await db.MetricPoints.AsNoTracking().Where(p => p.RunId == runId && p.Series == series)
                .OrderByDescending(p => p.Step).Select(p => (long?)p.Step).FirstOrDefaultAsync(cancellationToken);
            if (last is { } step) steps[series] = step;
        }
        var epochs = new Dictionary<string, int>();
        foreach (var kind in VectorKinds.All)
        {
            var last = await db.EpochVectors.AsNoTracking().Where(v => v.RunId == runId && v.Kind == kind)
                .OrderByDescending(v => v.Epoch).Select(v => (int?)v.Epoch).FirstOrDefaultAsync(cancellationToken);
            if (last is { } epoch) epochs[kind] = epoch;
        }
        _tails.TryAdd(runId, new TailState { LastStep = steps, LastEpoch = epochs, Row = RunMessages.From(run) });
    }

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
                // One definition of "the run changed": its message (status, progress, epochs, results, error) differs.
                var row = RunMessages.From(run);
                var changed = row != state.Row;
                if (run.Status is RunStatus.Running || changed) await PublishNewAsync(db, run, state, cancellationToken);
                if (changed)
                {
                    publisher.Run(row);
                    state.Row = row;
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Following runs of other processes failed; trying again shortly.");
        }
    }

    // The points and vectors stored after the marks: one statement each, a UNION ALL of one index range of the key per
    // series (or kind), so the database reads only the new rows. (One WHERE with the ranges OR'ed together is planned by
    // SQLite as a walk over all of the run's rows.)
    private async Task PublishNewAsync(ProCoDbContext db, Run run, TailState state, CancellationToken cancellationToken)
    {
        var rows = await SeriesNames
            .Select(series => (Series: series, After: state.LastStep.GetValueOrDefault(series, long.MinValue)))
            .Select(mark => db.MetricPoints.AsNoTracking().Where(p => p.RunId == run.Id && p.Series == mark.Series && p.Step > mark.After)
                .Select(p => new { p.Series, p.Step, p.Value }))
            .Aggregate((all, next) => all.Concat(next))
            .ToListAsync(cancellationToken);
        var points = rows.OrderBy(r => r.Step).Select(r => new LivePoint(r.Series, r.Step, r.Value ?? double.NaN)).ToList();
        foreach (var point in points) state.LastStep[point.S] = Math.Max(point.T, state.LastStep.GetValueOrDefault(point.S, long.MinValue));
        if (points.Count > 0) publisher.Points(run.Id, run.StepsPerEpoch, points);

        // Kinds of one epoch can land in different writer batches: each kind keeps its own mark.
        var vectors = await VectorKinds.All
            .Select(kind => (Kind: kind, After: state.LastEpoch.GetValueOrDefault(kind)))
            .Select(mark => db.EpochVectors.AsNoTracking().Where(v => v.RunId == run.Id && v.Kind == mark.Kind && v.Epoch > mark.After))
            .Aggregate((all, next) => all.Concat(next))
            .ToListAsync(cancellationToken);
        foreach (var v in vectors.OrderBy(v => v.Epoch))
        {
            publisher.Vector(new VectorMessage(run.Id, v.Epoch, v.Kind, v.Values()));
            state.LastEpoch[v.Kind] = Math.Max(v.Epoch, state.LastEpoch.GetValueOrDefault(v.Kind));
        }
    }
}
