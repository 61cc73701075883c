using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace ProCo.Web.Hosting;

/// <summary>Why an action was not taken: the sentence, and when to try again.</summary>
public sealed record ActionRefusal(string Message, TimeSpan RetryAfter);

/// <summary>
/// The actions one person (or, unsigned, one address) may take per minute (<c>ProCo:RateLimits:ActionsPerMinute</c>):
/// runs queued, cancelled, resumed, edited or deleted, and tokens created, through the REST API and the pages alike.
/// A sweep counts one action per run it queues. A token bucket per person: a whole minute's allowance may be used at once.
/// </summary>
public sealed class ActionBudget(IOptions<RateLimitOptions> options) : IDisposable
{
    private const int MaxPeople = 10_000;
    private readonly ConcurrentDictionary<string, TokenBucketRateLimiter> _buckets = new(StringComparer.Ordinal);

    private int Limit => Math.Max(1, options.Value.ActionsPerMinute);

    /// <summary>Takes <paramref name="actions"/> from the budget of <paramref name="user"/>; the refusal when there are not that many left.</summary>
    public ActionRefusal? Take(ClaimsPrincipal user, string? address, int actions)
    {
        var key = RateLimits.Key(user, address);
        if (actions > Limit)
            return new ActionRefusal($"{actions} actions at once are more than the {Limit} a minute this server allows (ProCo:RateLimits:ActionsPerMinute).",
                TimeSpan.FromMinutes(1));
        if (_buckets.Count >= MaxPeople) Forget();
        var bucket = _buckets.GetOrAdd(key, _ => new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Limit, TokensPerPeriod = Limit, ReplenishmentPeriod = TimeSpan.FromMinutes(1), QueueLimit = 0, AutoReplenishment = true,
        }));
        using var lease = bucket.AttemptAcquire(Math.Max(0, actions));
        if (lease.IsAcquired) return null;
        var retry = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1);
        return new ActionRefusal($"Too many actions from {key}: at most {Limit} a minute (ProCo:RateLimits:ActionsPerMinute); " +
                                 $"try again in {Math.Ceiling(retry.TotalSeconds):0} s.", retry);
    }

    /// <summary>The 429 answer of a refusal, with <c>Retry-After</c>.</summary>
    public static IResult TooMany(HttpContext http, ActionRefusal refusal)
    {
        http.Response.Headers.RetryAfter = Math.Ceiling(refusal.RetryAfter.TotalSeconds).ToString("0", CultureInfo.InvariantCulture);
        return Results.Problem(refusal.Message, statusCode: StatusCodes.Status429TooManyRequests, title: "Slow down");
    }

    // Full buckets (nobody acted for a minute) are dropped when many people have acted.
    private void Forget()
    {
        foreach (var (key, bucket) in _buckets)
        {
            if (bucket.GetStatistics()?.CurrentAvailablePermits < Limit || !_buckets.TryRemove(key, out var removed)) continue;
            removed.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var bucket in _buckets.Values) bucket.Dispose();
    }
}
