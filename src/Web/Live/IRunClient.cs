namespace ProCo.Web.Live;

/// <summary>What the hub sends a page watching a run (<see cref="RunHub"/>); a browser registers a handler per method, by name.</summary>
public interface IRunClient
{
    /// <summary>New points of the run (stored already when they come over Redis).</summary>
    Task Points(PointsMessage message);

    /// <summary>A per-class vector of an epoch.</summary>
    Task Vectors(VectorMessage message);

    /// <summary>The run's row changed: status, progress, epochs, results, error.</summary>
    Task Run(RunMessage message);
}
