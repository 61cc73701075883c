namespace ProCo.Web.Runs;

/// <summary>A run's points, vectors or events could not be stored (<see cref="MetricWriter"/> tried each batch several times).</summary>
public sealed class MetricWriteException : Exception
{
    public MetricWriteException(long runId, string reason)
        : base($"Storing the run's numbers failed: {reason}. What was stored up to its last checkpoint stays; resume it to continue from there.")
    {
        RunId = runId;
        Reason = reason;
    }

    public MetricWriteException()
    {
    }

    public MetricWriteException(string message) : base(message)
    {
    }

    public MetricWriteException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>The run.</summary>
    public long RunId { get; }

    /// <summary>What the database said.</summary>
    public string Reason { get; } = "";
}
