using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ProCo.Data;
using ProCo.Web.Runs;

namespace ProCo.Web.Live;

/// <summary>
/// Live updates of runs. A page joins the group of the run it shows (points, vectors, status) or
/// the list group (status of every run). Messages: "points", "vectors", "run".
/// </summary>
public sealed class RunHub(RunWatchers watchers, MetricWriter writer, IDbContextFactory<ProCoDbContext> factory, IOptions<LiveOptions> options) : Hub
{
    public const string Path = "/hubs/runs";
    public const string ListGroup = "runs";

    public static string GroupOf(long runId) => $"run-{runId}";

    /// <summary>
    /// Joins the run's group and returns once everything this process broadcast to the group before
    /// the join is in the database (the writer's watermark), with the run's last stored step. A page
    /// that then catches up from the database from the last point it held has no gap: what came
    /// before the join is stored, what comes after arrives live. Runs trained by another process are
    /// published only after they are stored, so the same holds for them.
    /// </summary>
    public async Task<SubscribeResult> Subscribe(long runId)
    {
        await using var db = await factory.CreateDbContextAsync(Context.ConnectionAborted);
        if (!await db.Runs.AnyAsync(r => r.Id == runId, Context.ConnectionAborted)) throw new HubException($"Run {runId} does not exist.");
        if (watchers.CountOf(Context.ConnectionId) >= options.Value.MaxSubscriptionsPerConnection)
            throw new HubException($"A connection watches at most {options.Value.MaxSubscriptionsPerConnection} runs; unsubscribe from one first.");
        await Groups.AddToGroupAsync(Context.ConnectionId, GroupOf(runId), Context.ConnectionAborted);
        watchers.Watch(Context.ConnectionId, runId);
        await writer.FlushAsync(Context.ConnectionAborted);
        var stored = await db.MetricPoints.Where(p => p.RunId == runId).MaxAsync(p => (long?)p.Step, Context.ConnectionAborted);
        return new SubscribeResult(runId, stored);
    }

    public async Task Unsubscribe(long runId)
    {
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, GroupOf(runId));
        watchers.Unwatch(Context.ConnectionId, runId);
    }

    public Task SubscribeList() => Groups.AddToGroupAsync(Context.ConnectionId, ListGroup);

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        watchers.Unwatch(Context.ConnectionId, null);
        return base.OnDisconnectedAsync(exception);
    }
}

/// <summary>What a subscription found stored when it returned.</summary>
/// <param name="RunId">The run.</param>
/// <param name="StoredStep">The largest step of any stored point of the run (null: none yet).</param>
public sealed record SubscribeResult(long RunId, long? StoredStep);
