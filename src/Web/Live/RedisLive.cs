using System.Text.Json;
using System.Text.Json.Serialization;
using StackExchange.Redis;

namespace ProCo.Web.Live;

/// <summary>
/// The live path across hosts (<c>ProCo:Redis</c>): SignalR's Redis backplane carries every hub
/// message from the process that publishes it (a web instance or a worker on any host) to the web
/// instance that holds the browser's connection; run changes also reach the Blazor components of
/// every instance (<see cref="RunChangesRelay"/>). One connection to Redis per process, shared.
/// </summary>
public static class RedisLive
{
    /// <summary>Prefix of every channel this app uses (one studio per Redis server or database: run ids are not unique across studios).</summary>
    public const string ChannelPrefix = "proco";

    /// <summary>SignalR with the app's JSON settings (NaN and ±∞ as they are) and, when <paramref name="redis"/> is set, its Redis backplane.</summary>
    public static IServiceCollection AddStudioSignalR(this IServiceCollection services, string? redis)
    {
        var signalR = services.AddSignalR().AddJsonProtocol(json => json.PayloadSerializerOptions.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals);
        if (string.IsNullOrWhiteSpace(redis)) return services;
        services.AddSingleton<IConnectionMultiplexer>(_ => Connect(redis));
        services.AddSingleton<RunChangesRelay>();
        services.AddHostedService(sp => sp.GetRequiredService<RunChangesRelay>());
        signalR.AddStackExchangeRedis(o => o.Configuration.ChannelPrefix = RedisChannel.Literal(ChannelPrefix));
        services.AddOptions<Microsoft.AspNetCore.SignalR.StackExchangeRedis.RedisOptions>()
            .Configure<IConnectionMultiplexer>((o, connection) => o.ConnectionFactory = _ => Task.FromResult(connection));
        return services;
    }

    private static ConnectionMultiplexer Connect(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        // Keep retrying in the background when Redis restarts, instead of failing the process.
        options.AbortOnConnectFail = false;
        return ConnectionMultiplexer.Connect(options);
    }
}

/// <summary>
/// Run changes over Redis: each process publishes the run messages it sends to the hub, and every
/// web instance raises them in its <see cref="RunChanges"/>, so its components (runs table, run page)
/// follow runs trained anywhere.
/// </summary>
public sealed class RunChangesRelay(IConnectionMultiplexer redis, RunChanges changes, ILogger<RunChangesRelay> logger) : BackgroundService
{
    private static readonly RedisChannel Channel = RedisChannel.Literal(RedisLive.ChannelPrefix + ":run-changes");

    public Task PublishAsync(RunMessage message) => redis.GetSubscriber().PublishAsync(Channel, JsonSerializer.Serialize(message, Json));

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = await redis.GetSubscriber().SubscribeAsync(Channel);
        stoppingToken.Register(() => queue.Unsubscribe());
        queue.OnMessage(message =>
        {
            try
            {
                if (JsonSerializer.Deserialize<RunMessage>(message.Message.ToString(), Json) is { } run) changes.Raise(run);
            }
            catch (JsonException e)
            {
                logger.LogWarning(e, "A run change from Redis could not be read.");
            }
        });
    }
}
