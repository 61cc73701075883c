using ProCo.Data.Entities;
using System.Text.Json.Serialization;

namespace ProCo.Web.Live;

/// <summary>One metric value as sent to browsers.</summary>
/// <param name="S">Series.</param>
/// <param name="T">Step.</param>
/// <param name="V">Value.</param>
/// <param name="W">When the trainer reported it (Unix ms); sent only when <c>ProCo:Live:StampPoints</c> asks for it (the UI benchmark's latency).</param>
public readonly record struct LivePoint(string S, long T, double V, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? W = null);

/// <summary>A batch of points of one run.</summary>
/// <param name="RunId">The run.</param>
/// <param name="StepsPerEpoch">Steps of one epoch (puts per-step series on the epoch axis; 0 when unknown).</param>
/// <param name="Points">Points in the order they were reported.</param>
public sealed record PointsMessage(long RunId, int StepsPerEpoch, IReadOnlyList<LivePoint> Points);

/// <summary>One per-class vector of one epoch.</summary>
public sealed record VectorMessage(long RunId, int Epoch, string Kind, double[] Values);

/// <summary>What changed on a run row (status, what it allows, progress, summary).</summary>
public sealed record RunMessage(long RunId, string Status, bool Live, double Progress, int CompletedEpochs, int Epochs,
    double? BestTop1, double? LastTop1, double? LastMany, double? LastMedium, double? LastFew, string? Error);

/// <summary>Live messages made from run rows.</summary>
public static class RunMessages
{
    /// <summary>What a run row says now, with what its status allows.</summary>
    public static RunMessage From(Run run) => new(run.Id, run.Status.ToString(), run.Status.IsLive(), run.Progress, run.CompletedEpochs, run.Epochs,
        run.BestTop1, run.LastTop1, run.LastMany, run.LastMedium, run.LastFew, run.Error);
}

/// <summary>
/// Where numbers for the browsers go. The web app sends them to the hub (<see cref="HubRunPublisher"/>);
/// a worker process or a CLI verb has nobody to tell (<see cref="NoRunPublisher"/>).
/// </summary>
public interface IRunPublisher
{
    /// <summary>New points of a run.</summary>
    void Points(long runId, int stepsPerEpoch, IReadOnlyList<LivePoint> points);

    /// <summary>A per-class vector of an epoch.</summary>
    void Vector(VectorMessage message);

    /// <summary>A run row changed.</summary>
    void Run(RunMessage message);
}

/// <summary>The publisher of processes without browsers (worker, CLI): the numbers are in the database, which the web app follows.</summary>
public sealed class NoRunPublisher : IRunPublisher
{
    public void Points(long runId, int stepsPerEpoch, IReadOnlyList<LivePoint> points)
    {
    }

    public void Vector(VectorMessage message)
    {
    }

    public void Run(RunMessage message)
    {
    }
}

/// <summary>Run rows that changed in this process, for the Blazor components showing them.</summary>
public sealed class RunChanges
{
    /// <summary>Raised on the caller's thread.</summary>
    public event Action<RunMessage>? Changed;

    public void Raise(RunMessage message) => Changed?.Invoke(message);
}
