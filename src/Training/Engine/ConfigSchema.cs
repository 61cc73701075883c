using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace ProCo.Training.Engine;

/// <summary>How a configuration field is edited and parsed.</summary>
public enum ConfigFieldKind
{
    /// <summary>Free text (device).</summary>
    Text,
    /// <summary>A whole number.</summary>
    WholeNumber,
    /// <summary>A real number.</summary>
    Number,
    /// <summary>On or off.</summary>
    Switch,
    /// <summary>One of a fixed list of words.</summary>
    Choice,
    /// <summary>A dataset key; the choices are the datasets the catalog knows.</summary>
    Dataset,
    /// <summary>PyTorch weights: a name from the weights library (web) or a path (command line).</summary>
    Weights,
}

/// <summary>
/// Describes one <see cref="TrainingConfig"/> property for every place that shows, parses or checks
/// it: the new-run form, the CLI options, the API's field list and validation. The property's type
/// and initial value give the kind and the default; everything else is here.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ConfigFieldAttribute(string group, string label) : Attribute
{
    /// <summary>Form section: Data, Method and model, Optimisation.</summary>
    public string Group { get; } = group;
    /// <summary>Form label.</summary>
    public string Label { get; } = label;
    /// <summary>One line of help: form helper text, CLI description, API description.</summary>
    public string Help { get; init; } = "";
    /// <summary>CLI option name without dashes; by default the property name in kebab case.</summary>
    public string? Option { get; init; }
    /// <summary>Smallest allowed value (numbers); NaN for none.</summary>
    public double Min { get; init; } = double.NaN;
    /// <summary>Largest allowed value (numbers); NaN for none.</summary>
    public double Max { get; init; } = double.NaN;
    /// <summary>The minimum itself is not allowed.</summary>
    public bool MinExclusive { get; init; }
    /// <summary>The maximum itself is not allowed.</summary>
    public bool MaxExclusive { get; init; }
    /// <summary>Allowed words, each "value" or "value=label".</summary>
    public string[]? Choices { get; init; }
    /// <summary>A type whose public static <c>Labels</c> (a list of "value=label") are the allowed words, instead of <see cref="Choices"/>.</summary>
    public Type? ChoicesFrom { get; init; }
    /// <summary>The message of an out-of-range or unknown value; by default one made from the range or the choices.</summary>
    public string? Error { get; init; }
    /// <summary>What an empty value of a nullable field means ("all", "derived from epochs").</summary>
    public string? EmptyMeans { get; init; }
    /// <summary>Increment of the form's spinner.</summary>
    public double Step { get; init; } = double.NaN;
    /// <summary>A value above 1 is read as its reciprocal ("100" for imbalance 100 means 0.01).</summary>
    public bool ReciprocalAboveOne { get; init; }
}

/// <summary>One allowed word of a choice field, with its label.</summary>
public sealed record ConfigChoice(string Value, string Label);

/// <summary>One field of <see cref="TrainingConfig"/>, described once (see <see cref="ConfigFieldAttribute"/>).</summary>
public sealed class ConfigField
{
    private readonly PropertyInfo _property;
    private readonly ConfigFieldAttribute _spec;

    internal ConfigField(PropertyInfo property, ConfigFieldAttribute spec, TrainingConfig defaults)
    {
        _property = property;
        _spec = spec;
        Property = property.Name;
        Name = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
        Option = spec.Option ?? string.Concat(property.Name.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        // int? and double? by their type; string? by its nullable annotation.
        IsNullable = Nullable.GetUnderlyingType(property.PropertyType) is not null
                     || (!property.PropertyType.IsValueType && new System.Reflection.NullabilityInfoContext().Create(property).WriteState == System.Reflection.NullabilityState.Nullable);
        var choices = spec.Choices ?? (spec.ChoicesFrom?.GetField("Labels", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as IEnumerable<string>)?.ToArray();
        Kind = choices is not null ? ConfigFieldKind.Choice
            : property.Name == nameof(TrainingConfig.Dataset) ? ConfigFieldKind.Dataset
            : property.Name == nameof(TrainingConfig.InitFrom) ? ConfigFieldKind.Weights
            : type == typeof(int) ? ConfigFieldKind.WholeNumber
            : type == typeof(double) ? ConfigFieldKind.Number
            : type == typeof(bool) ? ConfigFieldKind.Switch
            : type == typeof(string) ? ConfigFieldKind.Text
            : throw new InvalidOperationException($"TrainingConfig.{property.Name}: no field kind for {type.Name}.");
        Choices = (choices ?? []).Select(c => c.Split('=', 2) is [var v, var l] ? new ConfigChoice(v, l) : new ConfigChoice(c, c)).ToList();
        Default = property.GetValue(defaults);
    }

    /// <summary>C# property name (keys of validation errors).</summary>
    public string Property { get; }
    /// <summary>JSON name (camelCase), as the API and config files spell it.</summary>
    public string Name { get; }
    /// <summary>CLI option without the leading dashes.</summary>
    public string Option { get; }
    /// <summary>Form section.</summary>
    public string Group => _spec.Group;
    /// <summary>Form label.</summary>
    public string Label => _spec.Label;
    /// <summary>One line of help.</summary>
    public string Help => _spec.Help;
    /// <summary>How it is edited and parsed.</summary>
    public ConfigFieldKind Kind { get; }
    /// <summary>True when the field may be empty (null).</summary>
    public bool IsNullable { get; }
    /// <summary>What empty means, for nullable fields.</summary>
    public string? EmptyMeans => _spec.EmptyMeans;
    /// <summary>Smallest allowed value, if any.</summary>
    public double? Min => double.IsNaN(_spec.Min) ? null : _spec.Min;
    /// <summary>Largest allowed value, if any.</summary>
    public double? Max => double.IsNaN(_spec.Max) ? null : _spec.Max;
    /// <summary>Whether <see cref="Min"/> itself is excluded.</summary>
    public bool MinExclusive => _spec.MinExclusive;
    /// <summary>Whether <see cref="Max"/> itself is excluded.</summary>
    public bool MaxExclusive => _spec.MaxExclusive;
    /// <summary>Spinner increment of the form, if any.</summary>
    public double? Step => double.IsNaN(_spec.Step) ? null : _spec.Step;
    /// <summary>Allowed words of a choice field.</summary>
    public IReadOnlyList<ConfigChoice> Choices { get; }
    /// <summary>The published default (the value of a new <see cref="TrainingConfig"/>).</summary>
    public object? Default { get; }
    /// <summary>A value above 1 is read as its reciprocal.</summary>
    public bool ReciprocalAboveOne => _spec.ReciprocalAboveOne;

    /// <summary>The field's value in <paramref name="config"/>.</summary>
    public object? Get(TrainingConfig config) => _property.GetValue(config);

    /// <summary>A copy of <paramref name="config"/> with this field set (the value converted to the field's type).</summary>
    public TrainingConfig With(TrainingConfig config, object? value)
    {
        var copy = config with { };
        _property.SetValue(copy, Convert(value));
        return copy;
    }

    /// <summary>Why <paramref name="value"/> is not allowed, or null when it is.</summary>
    public string? Check(object? value)
    {
        if (value is null) return IsNullable ? null : $"{Label} is required.";
        var ok = Kind switch
        {
            ConfigFieldKind.Choice => Choices.Any(c => c.Value == (string)value),
            ConfigFieldKind.WholeNumber or ConfigFieldKind.Number => InRange(System.Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            _ => true,
        };
        return ok ? null : _spec.Error ?? DefaultError();
    }

    /// <summary>
    /// Reads a value typed on the command line or in a grid list (invariant culture; "none" or an
    /// empty text clears a nullable field). Throws <see cref="FormatException"/> naming the field.
    /// </summary>
    public object? Parse(string text)
    {
        var value = ParseAsTyped(text);
        return value is double d ? Normalize(d) : value;
    }

    /// <summary>
    /// What <see cref="Parse"/> reads, before a number is normalised: an imbalance typed as 100 stays
    /// 100 (a form keeps what was typed in its box). Throws <see cref="FormatException"/> naming the field.
    /// </summary>
    public object? ParseAsTyped(string text)
    {
        text = text.Trim();
        if (IsNullable && (text.Length == 0 || text.Equals("none", StringComparison.OrdinalIgnoreCase))) return null;
        switch (Kind)
        {
            case ConfigFieldKind.WholeNumber:
                return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i
                    : throw new FormatException($"{Label}: '{text}' is not a whole number.");
            case ConfigFieldKind.Number:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d
                    : throw new FormatException($"{Label}: '{text}' is not a number.");
            case ConfigFieldKind.Switch:
                return bool.TryParse(text, out var b) ? b : throw new FormatException($"{Label}: '{text}' is not true or false.");
            case ConfigFieldKind.Choice:
                var word = text.ToLowerInvariant();
                return Choices.Any(c => c.Value == word) ? word
                    : throw new FormatException($"{Label}: '{text}' is not one of {string.Join(", ", Choices.Select(c => c.Value))}.");
            default:
                return text;
        }
    }

    /// <summary>The field's value as the command line and the form's help show it.</summary>
    public string Format(object? value) => value switch
    {
        null => EmptyMeans ?? "none",
        double d => d.ToString("G", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>
    /// One line for help texts (CLI options, the API schema): label and help, the allowed values,
    /// and the default, e.g. "Learning rate. Above 0 and at most 100. Default 0.3.".
    /// </summary>
    public string Describe()
    {
        var parts = new List<string> { Label + (Help.Length > 0 ? $": {Help}" : "") };
        if (Choices.Count > 0) parts.Add("One of " + string.Join(", ", Choices.Select(c => c.Value)));
        else if (Min is not null || Max is not null) parts.Add(RangeText());
        if (ReciprocalAboveOne) parts.Add("Typed in the form, on the command line or in a grid, a value above 1 is read as its reciprocal");
        parts.Add($"Default {Format(Default)}");
        return string.Join(". ", parts) + ".";
    }

    /// <summary>Applies <see cref="ReciprocalAboveOne"/>: 100 and 0.01 both mean imbalance 100.</summary>
    public double Normalize(double value) => ReciprocalAboveOne && value > 1 ? 1 / value : value;

    private object? Convert(object? value)
    {
        if (value is null) return null;
        var type = Nullable.GetUnderlyingType(_property.PropertyType) ?? _property.PropertyType;
        return value.GetType() == type ? value : System.Convert.ChangeType(value, type, CultureInfo.InvariantCulture);
    }

    private bool InRange(double v) =>
        (Min is not { } lo || (MinExclusive ? v > lo : v >= lo)) && (Max is not { } hi || (MaxExclusive ? v < hi : v <= hi));

    private string DefaultError() =>
        Kind == ConfigFieldKind.Choice ? $"Use {string.Join(" or ", Choices.Select(c => c.Value))}." : $"{Label}: {RangeText().ToLowerInvariant()}.";

    // "At least 1 and at most 10000", "Above 0 and below 1".
    private string RangeText()
    {
        var lo = Min is { } a ? (MinExclusive ? $"above {Format(a)}" : $"at least {Format(a)}") : null;
        var hi = Max is { } b ? (MaxExclusive ? $"below {Format(b)}" : $"at most {Format(b)}") : null;
        var text = string.Join(" and ", new[] { lo, hi }.Where(s => s is not null));
        return char.ToUpperInvariant(text[0]) + text[1..];
    }
}

/// <summary>Every field of <see cref="TrainingConfig"/>, in form order.</summary>
public static class ConfigSchema
{
    /// <summary>Form sections in order.</summary>
    public static readonly IReadOnlyList<string> Groups = ["Data", "Method and model", "Optimisation"];

    /// <summary>All fields, grouped in <see cref="Groups"/> order, declaration order within a group.</summary>
    public static IReadOnlyList<ConfigField> Fields { get; } = Build();

    /// <summary>The field of a C# property name or JSON name.</summary>
    public static ConfigField Get(string name) =>
        Fields.FirstOrDefault(f => f.Property == name || f.Name == name)
        ?? throw new ArgumentException($"TrainingConfig has no field '{name}'.", nameof(name));

    private static List<ConfigField> Build()
    {
        var defaults = new TrainingConfig();
        var fields = typeof(TrainingConfig).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .OrderBy(p => p.MetadataToken)
            .Select(p => (Property: p, Spec: p.GetCustomAttribute<ConfigFieldAttribute>()))
            .Where(p => p.Spec is not null)
            .Select(p => new ConfigField(p.Property, p.Spec!, defaults))
            .ToList();
        var unknown = fields.FirstOrDefault(f => !Groups.Contains(f.Group));
        if (unknown is not null) throw new InvalidOperationException($"TrainingConfig.{unknown.Property}: unknown group '{unknown.Group}'.");
        return fields.OrderBy(f => Groups.ToList().IndexOf(f.Group)).ToList();
    }
}
