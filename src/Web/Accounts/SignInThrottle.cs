using Microsoft.Extensions.Options;
using ProCo.Web.Hosting;

namespace ProCo.Web.Accounts;

/// <summary>
/// Sign-in attempts throttled by address, and failed ones by address and account name together
/// (<c>ProCo:RateLimits:SignInsPerMinute</c>, <c>SignInFailures</c>, <c>SignInPauseMinutes</c>). Keyed by
/// address and name, a stranger's wrong passwords pause only the stranger: the account's owner, from
/// another address, still signs in, and its API tokens keep working. Names that exist and names that
/// do not are counted alike, so the throttle says nothing about which exist. Only attempts the address
/// throttle lets through count as failures.
/// </summary>
public sealed class SignInThrottle(IOptions<RateLimitOptions> options, TimeProvider clock)
{
    private const int MaxTracked = 100_000;
    private readonly object _lock = new();
    private readonly Dictionary<string, (DateTimeOffset Start, int Count)> _addresses = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), (DateTimeOffset Start, int Failures, DateTimeOffset? PausedUntil)> _pairs = new();

    /// <summary>How long to wait before an attempt is heard, or null when it may go ahead (it is counted against the address).</summary>
    public TimeSpan? Admit(string address, string name)
    {
        var o = options.Value;
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            Prune(now);
            if (_pairs.TryGetValue(Key(address, name), out var pair) && pair.PausedUntil is { } until && until > now) return until - now;
            (DateTimeOffset Start, int Count) window = _addresses.TryGetValue(address, out var a) && now - a.Start < TimeSpan.FromMinutes(1) ? a : (now, 0);
            if (window.Count >= Math.Max(1, o.SignInsPerMinute)) return window.Start + TimeSpan.FromMinutes(1) - now;
            _addresses[address] = (window.Start, window.Count + 1);
            return null;
        }
    }

    /// <summary>Counts a wrong password (or unknown name) from <paramref name="address"/> for <paramref name="name"/>; enough of them pause the pair.</summary>
    public void Failed(string address, string name)
    {
        var o = options.Value;
        var now = clock.GetUtcNow();
        var pause = TimeSpan.FromMinutes(Math.Max(0.1, o.SignInPauseMinutes));
        lock (_lock)
        {
            var key = Key(address, name);
            (DateTimeOffset Start, int Failures, DateTimeOffset? PausedUntil) pair = _pairs.TryGetValue(key, out var p) && now - p.Start < pause ? p : (now, 0, null);
            var failures = pair.Failures + 1;
            _pairs[key] = (pair.Start, failures, failures >= Math.Max(1, o.SignInFailures) ? now + pause : null);
        }
    }

    /// <summary>Forgets the failures of this address for this name (its owner signed in).</summary>
    public void Succeeded(string address, string name)
    {
        lock (_lock) _pairs.Remove(Key(address, name));
    }

    private static (string, string) Key(string address, string name) =>
        (address, (name.Length > 256 ? name[..256] : name).Trim().ToUpperInvariant());

    // Entries whose minute or pause is over go when the tables grow large; beyond that the oldest go first.
    private void Prune(DateTimeOffset now)
    {
        if (_addresses.Count + _pairs.Count < MaxTracked) return;
        foreach (var key in _addresses.Where(a => now - a.Value.Start >= TimeSpan.FromMinutes(1)).Select(a => a.Key).ToList()) _addresses.Remove(key);
        var pause = TimeSpan.FromMinutes(Math.Max(0.1, options.Value.SignInPauseMinutes));
        foreach (var key in _pairs.Where(p => now - p.Value.Start >= pause && (p.Value.PausedUntil is not { } u || u <= now)).Select(p => p.Key).ToList())
            _pairs.Remove(key);
        if (_addresses.Count + _pairs.Count < MaxTracked) return;
        foreach (var key in _pairs.OrderBy(p => p.Value.Start).Take(_pairs.Count / 2).Select(p => p.Key).ToList()) _pairs.Remove(key);
        foreach (var key in _addresses.OrderBy(a => a.Value.Start).Take(_addresses.Count / 2).Select(a => a.Key).ToList()) _addresses.Remove(key);
    }
}
