using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace ProCo.Web.Live;

/// <summary>Options of the live path (<c>ProCo:Live</c>).</summary>
public sealed class LiveOptions
{
    public const string Section = "ProCo:Live";

    /// <summary>Stamp each live point with the time the trainer reported it (for the UI benchmark's step-to-browser latency).</summary>
    public bool StampPoints { get; set; }

    /// <summary>Runs one browser connection may watch at once.</summary>
    public int MaxSubscriptionsPerConnection { get; set; } = 64;
}

/// <summary>
/// The web app's publisher: points are merged per run and sent to the run's hub group at most every
/// 100 ms (a few pushes per second, whatever the step rate); vector and run messages go out with
/// the next push, run messages to the runs list too. Components of this process hear of run
/// changes at once through <see cref="RunChanges"/>.
/// </summary>
public sealed class HubRunPublisher(IHubContext<RunHub> hub, RunChanges changes, IOptions<LiveOptions> options, ILogger<HubRunPublisher> logger)
    : BackgroundService, IRunPublisher
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private readonly ConcurrentDictionary<long, (int StepsPerEpoch, ConcurrentQueue<LivePoint> Queue)> _points = new();
    private readonly ConcurrentQueue<object> _messages = new();

    public void Points(long runId, int stepsPerEpoch, IReadOnlyList<LivePoint> points)
    {
        var now = options.Value.StampPoints ? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() : (long?)null;
        var entry = _points.AddOrUpdate(runId, _ => (stepsPerEpoch, new ConcurrentQueue<LivePoint>()), (_, e) => (Math.Max(e.StepsPerEpoch, stepsPerEpoch), e.Queue));
        foreach (var point in points) entry.Queue.Enqueue(now is null ? point : point with { W = now });
    }

    public void Vector(VectorMessage message) => _messages.Enqueue(message);

    public void Run(RunMessage message)
    {
        _messages.Enqueue(message);
        changes.Raise(message);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Periodic.RunAsync(Interval, SendPendingAsync, stoppingToken);

    private async Task SendPendingAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var (runId, (stepsPerEpoch, queue)) in _points)
            {
                if (queue.IsEmpty) continue;
                var batch = new List<LivePoint>();
                while (queue.TryDequeue(out var point)) batch.Add(point);
                await hub.Clients.Group(RunHub.GroupOf(runId)).SendAsync("points", new PointsMessage(runId, stepsPerEpoch, batch), cancellationToken);
            }
            while (_messages.TryDequeue(out var message))
            {
                switch (message)
                {
                    case VectorMessage vector:
                        await hub.Clients.Group(RunHub.GroupOf(vector.RunId)).SendAsync("vectors", vector, cancellationToken);
                        break;
                    case RunMessage run:
                        await hub.Clients.Groups(RunHub.GroupOf(run.RunId), RunHub.ListGroup).SendAsync("run", run, cancellationToken);
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
