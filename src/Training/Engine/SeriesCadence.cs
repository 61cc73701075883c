using System.Text.Json.Serialization;

namespace ProCo.Training.Engine;

/// <summary>When a series gets a point: every optimisation step (step = global step) or every epoch (step = epoch).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SeriesCadence>))]
public enum SeriesCadence
{
    /// <summary>Once per optimisation step; the step is the 1-based global step.</summary>
    Step,
    /// <summary>Once per epoch; the step is the 1-based epoch.</summary>
    Epoch,
}
