using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using ProCo.Web.Accounts;

namespace ProCo.Web.Hosting;

/// <summary>How often one person (or, unsigned, one address) may change things or try to sign in (<c>ProCo:RateLimits</c>).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "ProCo:RateLimits";

    /// <summary>Runs queued, cancelled, resumed, edited or deleted, and tokens created, per minute.</summary>
    public int ActionsPerMinute { get; set; } = 300;

    /// <summary>Imports (uploads and the paper's runs) per minute.</summary>
    public int ImportsPerMinute { get; set; } = 30;

    /// <summary>Sign-in attempts per client address per minute, whatever the names.</summary>
    public int SignInsPerMinute { get; set; } = 20;

    /// <summary>Wrong passwords from one address for one account name that pause that pair.</summary>
    public int SignInFailures { get; set; } = 5;

    /// <summary>How long the pause lasts (and the window the failures are counted in).</summary>
    public double SignInPauseMinutes { get; set; } = 5;

    /// <summary>API reads (GET under /api) per person per minute.</summary>
    public int ReadsPerMinute { get; set; } = 6000;

    /// <summary>
    /// Reads of a run's series (<c>/metrics</c>, <c>/metrics.csv</c>) served at once on this server; more wait their
    /// turn (up to 100), so that many viewers of a large run share its memory one read at a time.
    /// </summary>
    public int ConcurrentSeriesReads { get; set; } = 4;
}

/// <summary>ASP.NET Core's rate limiter: imports per person, API reads per person, and a few series reads at a time per server.</summary>
public static class RateLimits
{
    /// <summary>Policy of imports.</summary>
    public const string Imports = "imports";

    public static IServiceCollection AddStudioRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section);
        services.AddSingleton<ActionBudget>();
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(Imports, context => Partition(context, o => o.ImportsPerMinute));
            // Every API read counts per person; reads of a run's series also wait for one of a few slots of the server.
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(context => IsApiRead(context)
                    ? Partition(context, o => o.ReadsPerMinute)
                    : RateLimitPartition.GetNoLimiter("")),
                PartitionedRateLimiter.Create<HttpContext, string>(context => IsSeriesRead(context)
                    ? RateLimitPartition.GetConcurrencyLimiter("series", _ => new ConcurrencyLimiterOptions
                    {
                        PermitLimit = Math.Max(1, context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value.ConcurrentSeriesReads),
                        QueueLimit = 100,
                        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                    })
                    : RateLimitPartition.GetNoLimiter("")));
            limiter.OnRejected = async (rejected, ct) =>
            {
                var retry = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1);
                rejected.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await Results.Problem($"Too many requests of this kind from {Key(rejected.HttpContext)}; try again in {Math.Ceiling(retry.TotalSeconds)} s " +
                                      "(ProCo:RateLimits).", statusCode: StatusCodes.Status429TooManyRequests, title: "Slow down")
                    .ExecuteAsync(rejected.HttpContext);
            };
        });
        return services;
    }

    // A token bucket per signed-in name (or client address): the whole minute's allowance may be used at once.
    private static RateLimitPartition<string> Partition(HttpContext context, Func<RateLimitOptions, int> perMinute)
    {
        var limit = Math.Max(1, perMinute(context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value));
        return RateLimitPartition.GetTokenBucketLimiter(Key(context), _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limit,
            TokensPerPeriod = limit,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    private static bool IsApiRead(HttpContext context) =>
        HttpMethods.IsGet(context.Request.Method) && context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase);

    private static bool IsSeriesRead(HttpContext context) =>
        IsApiRead(context) && context.Request.Path.Value is { } path &&
        (path.EndsWith("/metrics", StringComparison.OrdinalIgnoreCase) || path.EndsWith("/metrics.csv", StringComparison.OrdinalIgnoreCase));

    private static string Key(HttpContext context) => Key(context.User, context.Connection.RemoteIpAddress?.ToString());

    /// <summary>Whom a limit counts for: the signed-in name, or (open access, or not signed in) the client's address.</summary>
    public static string Key(ClaimsPrincipal user, string? address) =>
        user.Identity?.IsAuthenticated == true && user.Identity.AuthenticationType != OpenAccessHandler.SchemeName
            ? Permissions.NameOf(user)
            : address ?? "this client";

    /// <summary>
    /// Counts each call of the endpoint as one action against <see cref="ActionBudget"/> (the budget the pages' buttons
    /// and forms draw on too); over it, 429 with <c>Retry-After</c>.
    /// </summary>
    public static TBuilder CountsAsAction<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var budget = http.RequestServices.GetRequiredService<ActionBudget>();
            return budget.Take(http.User, http.Connection.RemoteIpAddress?.ToString(), 1) is { } refusal
                ? (object?)ActionBudget.TooMany(http, refusal)
                : await next(context);
        });
}
