using System.Text.Json;

namespace ProCo.Web.Runs;

/// <summary>A run's stored configuration read as JSON: as its fields (Compare's diff, its seed groups, the runs CSV) or as an element (the API).</summary>
public static class ConfigFields
{
    /// <summary>
    /// Each top-level field of the configuration JSON with its value as text (a string unquoted, a
    /// number as written, null as empty); null when the text is not a JSON object.
    /// </summary>
    public static Dictionary<string, string>? Of(string json) =>
        Element(json) is { } config ? config.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString()) : null;

    /// <summary>
    /// The stored configuration as the API answers it (every field a trained run has; an imported log's few), or null
    /// when the stored text is not a JSON object.
    /// </summary>
    public static JsonElement? Element(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
