namespace ProCo.Training.Engine;

/// <summary>A checkpoint file the trainer wrote.</summary>
/// <param name="Path">Where it is.</param>
/// <param name="Kind">last or best.</param>
/// <param name="Epoch">Completed epochs it holds.</param>
/// <param name="SizeBytes">File size.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file.</param>
public sealed record CheckpointReport(string Path, string Kind, int Epoch, long SizeBytes, string Sha256);
