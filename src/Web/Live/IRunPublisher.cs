using ProCo.Data.Entities;

namespace ProCo.Web.Live;

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
