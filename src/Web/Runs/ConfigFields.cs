using System.Text.Json;

namespace ProCo.Web.Runs;

/// <summary>A run's stored configuration as its fields, read once for Compare's diff and its seed groups.</summary>
public static class ConfigFields
{
    /// <summary>
    /// Each top-level field of the configuration JSON with its value as text (a string unquoted, a
    /// number as written, null as empty); null when the text is not a JSON object.
    /// </summary>
    public static Dictionary<string, string>? Of(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                ? doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString())
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
