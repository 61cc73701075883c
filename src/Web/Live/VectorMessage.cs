namespace ProCo.Web.Live;

/// <summary>One per-class vector of one epoch.</summary>
public sealed record VectorMessage(long RunId, int Epoch, string Kind, double[] Values);
