using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Web.Runs;

namespace ProCo.Web.Live;

/// <summary>
/// Pushes live numbers to the browsers watching a run. Points are merged per run and sent at most
/// every 100 ms (a few pushes per second, whatever the step rate); run and vector messages go out
/// with the next push. Runs trained by another process (a <c>proco worker</c>) are followed from
/// the run database every 500 ms instead, so their pages stream too.
/// </summary>
public sealed class RunBroadcaster : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private readonly IHubContext<RunHub>? _hub;
    private readonly ConcurrentDictionary<long, ConcurrentQueue<LivePoint>> _points = new();
    private readonly ConcurrentQueue<object> _messages = new();
    private readonly ILogger<RunBroadcaster> _logger;
    private readonly IServiceProvider _services;
    // Which runs each browser connection watches, and what of each run has been sent.
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<long, byte>> _watchers = new();
    private readonly ConcurrentDictionary<long, TailState> _tails = new();

    private sealed class TailState
    {
        public Dictionary<string, long> LastStep { get; } = [];
        public int LastEpoch { get; set; }
        public string Fingerprint { get; set; } = "";
        public bool Primed { get; set; }
    }

    /// <param name="services">The hub context exists only in the web app; a worker process has nobody to tell.</param>
    /// <param name="logger">Logger.</param>
    public RunBroadcaster(IServiceProvider services, ILogger<RunBroadcaster> logger)
    {
        _hub = services.GetService<IHubContext<RunHub>>();
        _services = services;
        _logger = logger;
    }

    /// <summary>A browser connection started watching a run.</summary>
    public void Watch(string connectionId, long runId) =>
        _watchers.GetOrAdd(connectionId, _ => new ConcurrentDictionary<long, byte>())[runId] = 0;

    /// <summary>A connection stopped watching one run (or, with null, all of them).</summary>
    public void Unwatch(string connectionId, long? runId)
    {
        if (runId is null) _watchers.TryRemove(connectionId, out _);
        else if (_watchers.TryGetValue(connectionId, out var runs)) runs.TryRemove(runId.Value, out _);
        var watched = _watchers.Values.SelectMany(r => r.Keys).ToHashSet();
        foreach (var id in _tails.Keys.Where(id => !watched.Contains(id))) _tails.TryRemove(id, out _);
    }

    /// <summary>True when there is a hub to send to.</summary>
    public bool Enabled => _hub is not null;

    public void Points(long runId, IEnumerable<LivePoint> points)
    {
        if (_hub is null) return;
        var queue = _points.GetOrAdd(runId, _ => new ConcurrentQueue<LivePoint>());
        foreach (var point in points) queue.Enqueue(point);
    }

    public void Vector(VectorMessage message)
    {
        if (_hub is not null) _messages.Enqueue(message);
    }

    /// <summary>Raised (on the caller's thread) when a run's row changed: for Blazor components of this process.</summary>
    public event Action<RunMessage>? RunChanged;

    public void Run(RunMessage message)
    {
        if (_hub is not null) _messages.Enqueue(message);
        RunChanged?.Invoke(message);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_hub is null) return;
        using var timer = new PeriodicTimer(Interval);
        var tick = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (++tick % 5 == 0) await FollowOtherProcessesAsync(stoppingToken);
                await SendPendingAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // Runs watched here but trained elsewhere: new points, vectors and row changes from the database.
    private async Task FollowOtherProcessesAsync(CancellationToken cancellationToken)
    {
        var watched = _watchers.Values.SelectMany(r => r.Keys).ToHashSet();
        if (watched.Count == 0) return;
        var active = _services.GetRequiredService<ActiveRuns>();
        var factory = _services.GetRequiredService<IDbContextFactory<ProCoDbContext>>();
        try
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            foreach (var runId in watched.Where(id => !active.IsRunningHere(id)))
            {
                var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
                if (run is null || run.IsImported) continue;
                var state = _tails.GetOrAdd(runId, _ => new TailState());
                var fingerprint = $"{run.Status}|{run.CompletedEpochs}|{run.BestTop1}|{run.Error}";
                var live = run.Status is RunStatus.Running || state.Fingerprint.StartsWith(nameof(RunStatus.Running), StringComparison.Ordinal);
                if (!state.Primed || live) await SendNewPointsAsync(db, runId, state, cancellationToken);
                if (fingerprint != state.Fingerprint)
                {
                    // The first look only sets the baseline: the page loaded everything before it.
                    if (state.Primed) Run(RunMessages.From(run));
                    state.Fingerprint = fingerprint;
                }
                state.Primed = true;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning(e, "Following runs of other processes failed; trying again shortly.");
        }
    }

    private async Task SendNewPointsAsync(ProCoDbContext db, long runId, TailState state, CancellationToken cancellationToken)
    {
        var latest = await db.MetricPoints.AsNoTracking().Where(p => p.RunId == runId)
            .GroupBy(p => p.Series).Select(g => new { Series = g.Key, Step = g.Max(p => p.Step) }).ToListAsync(cancellationToken);
        var points = new List<LivePoint>();
        foreach (var series in latest)
        {
            var known = state.LastStep.GetValueOrDefault(series.Series, long.MinValue);
            if (state.Primed && series.Step > known)
            {
                var after = known == long.MinValue ? -1 : known;
                var rows = await db.MetricPoints.AsNoTracking().Where(p => p.RunId == runId && p.Series == series.Series && p.Step > after)
                    .OrderBy(p => p.Step).Select(p => new { p.Step, p.Value }).ToListAsync(cancellationToken);
                points.AddRange(rows.Select(r => new LivePoint(series.Series, r.Step, r.Value, 0)));
            }
            state.LastStep[series.Series] = series.Step;
        }
        if (points.Count > 0) Points(runId, points);

        var vectors = await db.EpochVectors.AsNoTracking().Where(v => v.RunId == runId && v.Epoch > state.LastEpoch)
            .OrderBy(v => v.Epoch).ToListAsync(cancellationToken);
        foreach (var v in vectors)
        {
            if (state.Primed) Vector(new VectorMessage(runId, v.Epoch, v.Kind, JsonSerializer.Deserialize<double[]>(v.ValuesJson) ?? []));
            state.LastEpoch = Math.Max(state.LastEpoch, v.Epoch);
        }
    }

    private async Task SendPendingAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var (runId, queue) in _points)
            {
                if (queue.IsEmpty) continue;
                var batch = new List<LivePoint>();
                while (queue.TryDequeue(out var point)) batch.Add(point);
                await _hub!.Clients.Group(RunHub.GroupOf(runId)).SendAsync("points",
                    new PointsMessage(runId, batch, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), cancellationToken);
            }
            while (_messages.TryDequeue(out var message))
            {
                switch (message)
                {
                    case VectorMessage vector:
                        await _hub!.Clients.Group(RunHub.GroupOf(vector.RunId)).SendAsync("vectors", vector, cancellationToken);
                        break;
                    case RunMessage run:
                        await _hub!.Clients.Groups(RunHub.GroupOf(run.RunId), RunHub.ListGroup).SendAsync("run", run, cancellationToken);
                        break;
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning(e, "Sending live updates failed.");
        }
    }
}
