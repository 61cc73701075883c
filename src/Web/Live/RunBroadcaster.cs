using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace ProCo.Web.Live;

/// <summary>
/// Pushes live numbers to the browsers watching a run. Points are merged per run and sent at most
/// every 100 ms (a few pushes per second, whatever the step rate); run and vector messages go out
/// with the next push.
/// </summary>
public sealed class RunBroadcaster : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private readonly IHubContext<RunHub>? _hub;
    private readonly ConcurrentDictionary<long, ConcurrentQueue<LivePoint>> _points = new();
    private readonly ConcurrentQueue<object> _messages = new();
    private readonly ILogger<RunBroadcaster> _logger;

    /// <param name="services">The hub context exists only in the web app; a worker process has nobody to tell.</param>
    /// <param name="logger">Logger.</param>
    public RunBroadcaster(IServiceProvider services, ILogger<RunBroadcaster> logger)
    {
        _hub = services.GetService<IHubContext<RunHub>>();
        _logger = logger;
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
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await SendPendingAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
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
