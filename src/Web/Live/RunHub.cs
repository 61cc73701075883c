using Microsoft.AspNetCore.SignalR;

namespace ProCo.Web.Live;

/// <summary>
/// Live updates of runs. A page joins the group of the run it shows (points, vectors, status) or
/// the list group (status of every run). Messages: "points", "vectors", "run".
/// </summary>
public sealed class RunHub(RunBroadcaster broadcaster) : Hub
{
    public const string Path = "/hubs/runs";
    public const string ListGroup = "runs";

    public static string GroupOf(long runId) => $"run-{runId}";

    public async Task Subscribe(long runId)
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, GroupOf(runId));
        broadcaster.Watch(Context.ConnectionId, runId);
    }

    public async Task Unsubscribe(long runId)
    {
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, GroupOf(runId));
        broadcaster.Unwatch(Context.ConnectionId, runId);
    }

    public Task SubscribeList() => Groups.AddToGroupAsync(Context.ConnectionId, ListGroup);

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        broadcaster.Unwatch(Context.ConnectionId, null);
        return base.OnDisconnectedAsync(exception);
    }
}

/// <summary>One metric value as sent to browsers.</summary>
/// <param name="S">Series.</param>
/// <param name="T">Step.</param>
/// <param name="V">Value.</param>
/// <param name="W">When the trainer reported it (Unix ms), for step-to-browser latency.</param>
public readonly record struct LivePoint(string S, long T, double V, long W);

/// <summary>A batch of points of one run.</summary>
public sealed record PointsMessage(long RunId, IReadOnlyList<LivePoint> Points, long SentAtUnixMs);

/// <summary>One per-class vector of one epoch.</summary>
public sealed record VectorMessage(long RunId, int Epoch, string Kind, double[] Values);

/// <summary>What changed on a run row (status, progress, summary).</summary>
public sealed record RunMessage(long RunId, string Status, double Progress, int CompletedEpochs, int Epochs,
    double? BestTop1, double? LastTop1, double? LastMany, double? LastMedium, double? LastFew, string? Error);
