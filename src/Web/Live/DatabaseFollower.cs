using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Web.Runs;

namespace ProCo.Web.Live;

/// <summary>
/// Runs watched in this web app but trained by another process (a <c>proco worker</c>): every
/// 500 ms their new points, vectors and row changes are read from the run database and published,
/// so their pages stream too. Everything it sends is already stored, so a page that subscribes and
/// then catches up from the database misses nothing.
/// </summary>
public sealed class DatabaseFollower(RunWatchers watchers, ActiveRuns active, IDbContextFactory<ProCoDbContext> factory,
    IRunPublisher publisher, ILogger<DatabaseFollower> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);
    // What of each followed run has been sent.
    private readonly Dictionary<long, TailState> _tails = [];

    private sealed class TailState
    {
        public Dictionary<string, long> LastStep { get; } = [];
        public int LastEpoch { get; set; }
        public string Fingerprint { get; set; } = "";
        public bool Primed { get; set; }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Periodic.RunAsync(Interval, FollowAsync, stoppingToken);

    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        var watched = watchers.Watched();
        foreach (var id in _tails.Keys.Where(id => !watched.Contains(id)).ToList()) _tails.Remove(id);
        if (watched.Count == 0) return;
        try
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            foreach (var runId in watched.Where(id => !active.IsRunningHere(id)))
            {
                var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
                if (run is null || run.IsImported) continue;
                if (!_tails.TryGetValue(runId, out var state)) _tails[runId] = state = new TailState();
                var fingerprint = $"{run.Status}|{run.CompletedEpochs}|{run.BestTop1}|{run.Error}";
                var live = run.Status is RunStatus.Running || state.Fingerprint.StartsWith(nameof(RunStatus.Running), StringComparison.Ordinal);
                if (!state.Primed || live) await SendNewPointsAsync(db, run, state, cancellationToken);
                if (fingerprint != state.Fingerprint)
                {
                    // The first look only sets the baseline: the page loaded everything before it.
                    if (state.Primed) publisher.Run(RunSummaries.Message(run));
                    state.Fingerprint = fingerprint;
                }
                state.Primed = true;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Following runs of other processes failed; trying again shortly.");
        }
    }

    private async Task SendNewPointsAsync(ProCoDbContext db, Run run, TailState state, CancellationToken cancellationToken)
    {
        var latest = await db.MetricPoints.AsNoTracking().Where(p => p.RunId == run.Id)
            .GroupBy(p => p.Series).Select(g => new { Series = g.Key, Step = g.Max(p => p.Step) }).ToListAsync(cancellationToken);
        var points = new List<LivePoint>();
        foreach (var series in latest)
        {
            var known = state.LastStep.GetValueOrDefault(series.Series, long.MinValue);
            if (state.Primed && series.Step > known)
            {
                var after = known == long.MinValue ? -1 : known;
                var rows = await db.MetricPoints.AsNoTracking().Where(p => p.RunId == run.Id && p.Series == series.Series && p.Step > after)
                    .OrderBy(p => p.Step).Select(p => new { p.Step, p.Value }).ToListAsync(cancellationToken);
                points.AddRange(rows.Select(r => new LivePoint(series.Series, r.Step, r.Value)));
            }
            state.LastStep[series.Series] = series.Step;
        }
        if (points.Count > 0) publisher.Points(run.Id, run.StepsPerEpoch, points);

        var vectors = await db.EpochVectors.AsNoTracking().Where(v => v.RunId == run.Id && v.Epoch > state.LastEpoch)
            .OrderBy(v => v.Epoch).ToListAsync(cancellationToken);
        foreach (var v in vectors)
        {
            if (state.Primed) publisher.Vector(new VectorMessage(run.Id, v.Epoch, v.Kind, JsonSerializer.Deserialize<double[]>(v.ValuesJson) ?? []));
            state.LastEpoch = Math.Max(state.LastEpoch, v.Epoch);
        }
    }
}
