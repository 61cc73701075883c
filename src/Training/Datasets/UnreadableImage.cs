namespace ProCo.Training.Datasets;

/// <summary>An image that could not be used, and why.</summary>
public sealed record UnreadableImage(string Path, string Reason);
