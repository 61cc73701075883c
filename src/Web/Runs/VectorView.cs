namespace ProCo.Web.Runs;

/// <summary>A kind of per-class vector (<see cref="ProCo.Training.Engine.VectorKinds"/>) as the pages show it.</summary>
/// <param name="Kind">The stored kind.</param>
/// <param name="Label">What it is, in words (the heatmap's buttons, legends).</param>
/// <param name="PerEpoch">True when the pages keep every epoch's vector; false when only the newest matters (the class counts).</param>
/// <param name="Heatmap">True for the concentrations the κ heatmap can show.</param>
public sealed record VectorView(string Kind, string Label, bool PerEpoch, bool Heatmap);
