using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using ProCo.Web.Accounts;

namespace ProCo.Web.Live;

/// <summary>
/// The hub's open connections, each checked again every <see cref="LiveOptions.RevalidateSeconds"/>
/// (<see cref="SessionCheck"/>): a revoked or expired token, a removed account, a new password or role
/// closes the connection, as open pages are sent to the sign-in form within the same minute.
/// </summary>
public sealed class HubSessions(SessionCheck sessions, IOptions<LiveOptions> options, ILogger<HubSessions> log) : BackgroundService
{
    private readonly ConcurrentDictionary<string, HubCallerContext> _open = new(StringComparer.Ordinal);

    public void Opened(HubCallerContext context) => _open[context.ConnectionId] = context;

    public void Closed(string connectionId) => _open.TryRemove(connectionId, out _);

    /// <summary>Checks every open connection once; returns how many were closed.</summary>
    public async Task<int> RevalidateAsync(CancellationToken ct)
    {
        var closed = 0;
        foreach (var (id, context) in _open)
        {
            if (context.User is { } user && await sessions.StillValidAsync(user, ct)) continue;
            log.LogInformation("Closing live connection {Connection} of {User}: its sign-in no longer stands", id, context.User?.Identity?.Name);
            context.Abort();
            Closed(id);
            closed++;
        }
        return closed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Clamp(options.Value.RevalidateSeconds, 0.2, 60)));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RevalidateAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Could not check the live connections' sign-ins; trying again");
            }
        }
    }
}
