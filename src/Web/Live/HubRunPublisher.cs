using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using ProCo.Web.Runs;

namespace ProCo.Web.Live;

/// <summary>
/// The publisher of a process that can reach browsers: points are merged per run and sent to the
/// run's hub group at most every 100 ms (a few pushes per second, whatever the step rate); vector
/// and run messages go out with the next push, run messages to the runs list too.
/// <para>
/// On one host (no Redis) it sends at once, and components of this process hear of run changes at
/// once through <see cref="RunChanges"/>. Over Redis (<see cref="RedisLive"/>), where web
/// instances and workers of many hosts publish into one backplane, it sends an item only once this
/// process's <see cref="MetricWriter"/> has stored it: everything a browser receives is then
/// already in the database, so a page that subscribes and then reads from its mark misses nothing,
/// whichever process trains the run and whichever instance serves the page. Run changes then reach
/// the components of every web instance through <see cref="RunChangesRelay"/>.
/// </para>
/// </summary>
public sealed class HubRunPublisher(IHubContext<RunHub, IRunClient> hub, RunChanges changes, MetricWriter writer, IOptions<LiveOptions> options,
    ILogger<HubRunPublisher> logger, RunChangesRelay? relay = null)
    : BackgroundService, IRunPublisher
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private readonly ConcurrentDictionary<long, (int StepsPerEpoch, ConcurrentQueue<(long Mark, LivePoint Point)> Queue)> _points = new();
    private readonly ConcurrentQueue<(long Mark, object Message)> _messages = new();
    // Runs announced stopped: their queue of points goes once it is empty.
    private readonly ConcurrentDictionary<long, byte> _finished = new();

    // What must be stored before an item may go out: nothing on one host, everything enqueued so far over Redis.
    private long Mark => relay is null ? 0 : writer.Enqueued;

    public void Points(long runId, int stepsPerEpoch, IReadOnlyList<LivePoint> points)
    {
        var now = options.Value.StampPoints ? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() : (long?)null;
        var mark = Mark;
        var entry = _points.AddOrUpdate(runId, _ => (stepsPerEpoch, new ConcurrentQueue<(long, LivePoint)>()), (_, e) => (Math.Max(e.StepsPerEpoch, stepsPerEpoch), e.Queue));
        foreach (var point in points) entry.Queue.Enqueue((mark, now is null ? point : point with { W = now }));
    }

    public void Vector(VectorMessage message) => _messages.Enqueue((Mark, message));

    public void Run(RunMessage message)
    {
        _messages.Enqueue((Mark, message));
        if (relay is null) changes.Raise(message);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Periodic.RunAsync(Interval, SendPendingAsync, stoppingToken);

    private async Task SendPendingAsync(CancellationToken cancellationToken)
    {
        try
        {
            var stored = writer.Written;
            foreach (var (runId, (stepsPerEpoch, queue)) in _points)
            {
                var batch = new List<LivePoint>();
                while (queue.TryPeek(out var next) && next.Mark <= stored && queue.TryDequeue(out var point)) batch.Add(point.Point);
                if (batch.Count == 0) continue;
                await hub.Clients.Group(RunHub.GroupOf(runId)).Points(new PointsMessage(runId, stepsPerEpoch, batch));
            }
            // A finished run's points have all gone: it is forgotten until it trains again (a resume).
            foreach (var runId in _finished.Keys)
                if (_finished.TryRemove(runId, out _) && _points.TryGetValue(runId, out var entry) && entry.Queue.IsEmpty) _points.TryRemove(runId, out _);
            while (_messages.TryPeek(out var next) && next.Mark <= stored && _messages.TryDequeue(out var item))
            {
                switch (item.Message)
                {
                    case VectorMessage vector:
                        await hub.Clients.Group(RunHub.GroupOf(vector.RunId)).Vectors(vector);
                        break;
                    case RunMessage run:
                        await hub.Clients.Group(RunHub.GroupOf(run.RunId)).Run(run);
                        if (relay is not null) await relay.PublishAsync(run);
                        if (!run.Live) _finished.TryAdd(run.RunId, 0);
                        break;
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Sending live updates failed.");
        }
    }
}
