using System.Collections.Concurrent;

namespace ProCo.Web.Live;

/// <summary>Which browser connections watch which runs (the hub's subscriptions), so the follower knows what to tail.</summary>
public sealed class RunWatchers
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<long, byte>> _byConnection = new();

    /// <summary>A connection started watching a run.</summary>
    public void Watch(string connectionId, long runId) =>
        _byConnection.GetOrAdd(connectionId, _ => new ConcurrentDictionary<long, byte>())[runId] = 0;

    /// <summary>A connection stopped watching one run (or, with null, all of them).</summary>
    public void Unwatch(string connectionId, long? runId)
    {
        if (runId is null) _byConnection.TryRemove(connectionId, out _);
        else if (_byConnection.TryGetValue(connectionId, out var runs)) runs.TryRemove(runId.Value, out _);
    }

    /// <summary>How many runs a connection watches.</summary>
    public int CountOf(string connectionId) => _byConnection.TryGetValue(connectionId, out var runs) ? runs.Count : 0;

    /// <summary>Every run some connection watches.</summary>
    public HashSet<long> Watched() => _byConnection.Values.SelectMany(r => r.Keys).ToHashSet();
}
