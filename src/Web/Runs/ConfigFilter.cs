using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ProCo.Training.Engine;

namespace ProCo.Web.Runs;

/// <summary>
/// The runs table's filter by configuration fields: conditions such as <c>alpha &gt;= 0.5, seed = 1</c> (joined by commas
/// or "and"), each naming a field by its JSON name, its command-line option or its short sweep label (lr, wd, α, τ,
/// imb), an operator (= != &lt; &lt;= &gt; &gt;=) and a value. Numbers compare as numbers (an imbalance may be typed as
/// its factor, 100), words by equality. A run that does not record the field (an imported log) does not match.
/// </summary>
public sealed partial class ConfigFilter
{
    private readonly IReadOnlyList<(ConfigField Field, string Op, string Text, double? Number)> _conditions;

    private ConfigFilter(IReadOnlyList<(ConfigField, string, string, double?)> conditions) => _conditions = conditions;

    /// <summary>No condition: every run matches.</summary>
    public static ConfigFilter None { get; } = new([]);

    /// <summary>True when there is no condition.</summary>
    public bool IsEmpty => _conditions.Count == 0;

    /// <summary>The filter the text describes, or the reason it cannot be read (naming the condition and what it expects).</summary>
    public static (ConfigFilter Filter, string? Error) Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return (None, null);
        var conditions = new List<(ConfigField, string, string, double?)>();
        foreach (var part in Separator().Split(text).Select(p => p.Trim()).Where(p => p.Length > 0))
        {
            var match = Condition().Match(part);
            if (!match.Success) return (None, $"'{part}' is not a condition: write a field, an operator (= != < <= > >=) and a value, e.g. alpha >= 0.5.");
            var name = match.Groups["field"].Value;
            var field = FieldNamed(name);
            if (field is null) return (None, $"'{name}' is no configuration field (for example alpha, lr, seed, method, dataset).");
            var op = match.Groups["op"].Value switch { "==" => "=", "<>" => "!=", var o => o };
            var value = match.Groups["value"].Value.Trim().Trim('"', '\'');
            double? number = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? field.ReciprocalAboveOne ? field.Normalize(n) : n : null;
            if (op is "<" or "<=" or ">" or ">=" && number is null) return (None, $"'{part}': {op} compares numbers; '{value}' is not one.");
            // An imbalance typed as its factor reverses: "imb >= 50" means a ratio of at most 0.02.
            if (field.ReciprocalAboveOne && n > 1) op = op switch { "<" => ">", "<=" => ">=", ">" => "<", ">=" => "<=", _ => op };
            conditions.Add((field, op, value, number));
        }
        return (new ConfigFilter(conditions), null);
    }

    /// <summary>True when the run's configuration meets every condition.</summary>
    public bool Matches(RunSummary run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (IsEmpty) return true;
        if (run.Config is not { ValueKind: JsonValueKind.Object } config) return false;
        foreach (var (field, op, text, number) in _conditions)
        {
            if (!config.TryGetProperty(field.Name, out var value) || value.ValueKind == JsonValueKind.Null) return false;
            bool ok;
            if (number is { } wanted && value.ValueKind == JsonValueKind.Number)
            {
                var have = value.GetDouble();
                ok = op switch
                {
                    "=" => Math.Abs(have - wanted) <= 1e-12 * Math.Max(1, Math.Abs(wanted)),
                    "!=" => Math.Abs(have - wanted) > 1e-12 * Math.Max(1, Math.Abs(wanted)),
                    "<" => have < wanted, "<=" => have <= wanted, ">" => have > wanted, _ => have >= wanted,
                };
            }
            else
            {
                var equal = string.Equals(value.ToString(), text, StringComparison.OrdinalIgnoreCase);
                ok = op == "!=" ? !equal : op == "=" && equal;
            }
            if (!ok) return false;
        }
        return true;
    }

    private static ConfigField? FieldNamed(string name) =>
        ConfigSchema.Fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase)
                                                || string.Equals(f.Option, name, StringComparison.OrdinalIgnoreCase)
                                                || string.Equals(f.Property, name, StringComparison.OrdinalIgnoreCase))
        ?? SweepSpec.Fields.FirstOrDefault(f => string.Equals(SweepSpec.ShortLabel(f), name, StringComparison.OrdinalIgnoreCase));

    [GeneratedRegex(@",|\band\b", RegexOptions.IgnoreCase)]
    private static partial Regex Separator();

    [GeneratedRegex(@"^(?<field>[\p{L}][\p{L}\p{N}_-]*)\s*(?<op>>=|<=|==|!=|<>|=|<|>)\s*(?<value>.+)$")]
    private static partial Regex Condition();
}
