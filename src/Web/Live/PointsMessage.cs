namespace ProCo.Web.Live;

/// <summary>A batch of points of one run.</summary>
/// <param name="RunId">The run.</param>
/// <param name="StepsPerEpoch">Steps of one epoch (puts per-step series on the epoch axis; 0 when unknown).</param>
/// <param name="Points">Points in the order they were reported.</param>
public sealed record PointsMessage(long RunId, int StepsPerEpoch, IReadOnlyList<LivePoint> Points);
