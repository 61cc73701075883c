using System.Text.Json.Serialization;

namespace ProCo.Web.Live;

/// <summary>One metric value as sent to browsers.</summary>
/// <param name="S">Series.</param>
/// <param name="T">Step.</param>
/// <param name="V">Value.</param>
/// <param name="W">When the trainer reported it (Unix ms); sent only when <c>ProCo:Live:StampPoints</c> asks for it (the UI benchmark's latency).</param>
public readonly record struct LivePoint(string S, long T, double V, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? W = null);
