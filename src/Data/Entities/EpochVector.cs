using System.Text.Json;
using System.Text.Json.Serialization;

namespace ProCo.Data.Entities;

/// <summary>A per-class vector (kappa, accuracy, class counts) of one epoch, stored as one row.</summary>
public class EpochVector
{
    // NaN and ±∞ (a class whose κ diverged) are written as "NaN", "Infinity", "-Infinity".
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public long RunId { get; set; }
    public int Epoch { get; set; }
    /// <summary>kappa, accuracy or counts.</summary>
    public string Kind { get; set; } = "";
    /// <summary>The values as a JSON array of numbers (see <see cref="Values"/>).</summary>
    public string ValuesJson { get; set; } = "[]";

    /// <summary>The values of <see cref="ValuesJson"/>.</summary>
    public double[] Values() => JsonSerializer.Deserialize<double[]>(ValuesJson, Json) ?? [];

    /// <summary>A row for these values.</summary>
    public static EpochVector Of(long runId, int epoch, string kind, double[] values) =>
        new() { RunId = runId, Epoch = epoch, Kind = kind, ValuesJson = JsonSerializer.Serialize(values, Json) };
}
