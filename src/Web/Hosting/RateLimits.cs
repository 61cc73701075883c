using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using ProCo.Web.Accounts;

namespace ProCo.Web.Hosting;

/// <summary>How often one person (or, unsigned, one address) may change things per minute (<c>ProCo:RateLimits</c>).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "ProCo:RateLimits";

    /// <summary>Runs queued, cancelled, resumed, edited or deleted, and tokens created, per minute.</summary>
    public int ActionsPerMinute { get; set; } = 300;

    /// <summary>Imports (uploads and the paper's runs) per minute.</summary>
    public int ImportsPerMinute { get; set; } = 30;
}

/// <summary>ASP.NET Core's rate limiter on the endpoints that create or change things.</summary>
public static class RateLimits
{
    /// <summary>Policy of run actions.</summary>
    public const string Actions = "actions";

    /// <summary>Policy of imports.</summary>
    public const string Imports = "imports";

    public static IServiceCollection AddStudioRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section);
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(Actions, context => Partition(context, o => o.ActionsPerMinute));
            limiter.AddPolicy(Imports, context => Partition(context, o => o.ImportsPerMinute));
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

    private static string Key(HttpContext context) =>
        context.User.Identity?.IsAuthenticated == true && context.User.Identity.AuthenticationType != OpenAccessHandler.SchemeName
            ? Permissions.NameOf(context.User)
            : context.Connection.RemoteIpAddress?.ToString() ?? "this client";
}
