using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using ProCo.Web.Accounts;
using ProCo.Web.Runs;

namespace ProCo.Web.Live;

/// <summary>
/// Live updates of runs: a page joins the group of each run it shows and hears what <see cref="IRunClient"/> says
/// (its points, vectors and row changes).
/// </summary>
public sealed class RunHub(RunWatchers watchers, MetricWriter writer, RunQueries queries, IOptions<LiveOptions> options, HubSessions sessions,
    SessionCheck check, DatabaseFollower? follower = null)
    : Hub<IRunClient>
{
    public const string Path = "/hubs/runs";

    public static string GroupOf(long runId) => $"run-{runId}";

    /// <summary>
    /// Joins the run's group and returns once everything published to the group before the join
    /// is in the database: this process's writer has stored what it was given (its watermark), and
    /// a run trained by another process is followed from a baseline taken now. A page that then
    /// catches up from the database from the last point it held has no gap: what came before the
    /// join is stored, what comes after arrives live.
    /// </summary>
    public async Task Subscribe(long runId)
    {
        // Each subscription asks again whether the caller's sign-in stands (a token revoked since the connection opened).
        if (!await check.StillValidAsync(Context.User ?? new(), Context.ConnectionAborted))
        {
            Context.Abort();
            throw new HubException("Your sign-in no longer stands (token revoked or expired, or account changed): sign in again.");
        }
        if (!await queries.ExistsAsync(runId, Context.ConnectionAborted)) throw new HubException($"Run {runId} does not exist.");
        if (watchers.CountOf(Context.ConnectionId) >= options.Value.MaxSubscriptionsPerConnection)
            throw new HubException($"A connection watches at most {options.Value.MaxSubscriptionsPerConnection} runs; unsubscribe from one first.");
        await Groups.AddToGroupAsync(Context.ConnectionId, GroupOf(runId), Context.ConnectionAborted);
        watchers.Watch(Context.ConnectionId, runId);
        // On one host, a run trained by another process is followed from the database; over Redis
        // its points arrive through the backplane, each one stored before it was sent.
        if (follower is not null) await follower.PrimeAsync(runId, Context.ConnectionAborted);
        await writer.FlushAsync(Context.ConnectionAborted);
    }

    public async Task Unsubscribe(long runId)
    {
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, GroupOf(runId));
        watchers.Unwatch(Context.ConnectionId, runId);
    }

    public override Task OnConnectedAsync()
    {
        sessions.Opened(Context);
        return base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        sessions.Closed(Context.ConnectionId);
        watchers.Unwatch(Context.ConnectionId, null);
        return base.OnDisconnectedAsync(exception);
    }
}
