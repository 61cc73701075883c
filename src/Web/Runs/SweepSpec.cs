using System.Globalization;
using System.Text.Json.Serialization;
using ProCo.Training.Engine;

namespace ProCo.Web.Runs;

/// <summary>
/// What a sweep varies and how: a grid trains every combination of the values listed per field; a random search draws
/// <see cref="Samples"/> distinct configurations from lists and ranges ("0.01..0.3", "0.001..0.1 log") reproducibly from
/// <see cref="SamplerSeed"/>, each trained once per listed seed. Lists are keyed by the field's JSON name (as the API and
/// the configuration name it: "alpha", "learningRate") or its property name.
/// </summary>
public sealed record SweepSpec
{
    public const string GridKind = "grid";
    public const string RandomKind = "random";

    /// <summary>Most runs one sweep may queue.</summary>
    public const int MaxRuns = 200;

    /// <summary>The key under which a problem of the sample count is reported.</summary>
    public const string SamplesKey = "Samples";

    /// <summary>The fields a sweep can vary.</summary>
    public static readonly IReadOnlyList<ConfigField> Fields =
        [.. new[]
        {
            nameof(TrainingConfig.ImbalanceFactor), nameof(TrainingConfig.Alpha), nameof(TrainingConfig.LearningRate),
            nameof(TrainingConfig.WeightDecay), nameof(TrainingConfig.Temperature), nameof(TrainingConfig.Seed), nameof(TrainingConfig.Method),
        }.Select(ConfigSchema.Get)];

    /// <summary><see cref="GridKind"/> or <see cref="RandomKind"/>.</summary>
    public string Kind { get; init; } = GridKind;

    /// <summary>Comma-separated values (or, in random search, a range) by field.</summary>
    public IReadOnlyDictionary<string, string> Lists { get; init; } = new Dictionary<string, string>();

    /// <summary>Random search: how many configurations to draw (each trained once per listed seed).</summary>
    public int? Samples { get; init; }

    /// <summary>Random search: the seed of the draws; the same seed and lists give the same runs.</summary>
    public int? SamplerSeed { get; init; }

    [JsonIgnore]
    public bool IsRandom => Kind == RandomKind;

    /// <summary>The list of a field (by property), or null when the sweep leaves it at the base value.</summary>
    public string? ListOf(ConfigField field) =>
        Lists.FirstOrDefault(l => (l.Key == field.Name || l.Key == field.Property) && !string.IsNullOrWhiteSpace(l.Value)).Value;

    /// <summary>True when the sweep lists values of <paramref name="property"/>.</summary>
    public bool Varies(string property) => Fields.FirstOrDefault(f => f.Property == property) is { } field && ListOf(field) is not null;

    /// <summary>
    /// The runs of the sweep from <paramref name="baseConfig"/>, each with the label that tells it apart ("la, α 2, seed 1"),
    /// or, when a list cannot be read or the sweep is too large, no run and the problem by property name
    /// (<see cref="SamplesKey"/> for the sample count).
    /// </summary>
    public SweepPlan Expand(TrainingConfig baseConfig)
    {
        var errors = new Dictionary<string, string>();
        if (Kind is not (GridKind or RandomKind)) errors[nameof(Kind)] = $"A sweep is a {GridKind} or a {RandomKind} search, not '{Kind}'.";
        var unknown = Lists.Keys.Where(k => !Fields.Any(f => f.Name == k || f.Property == k)).ToList();
        if (unknown.Count > 0)
            errors[nameof(Lists)] = $"A sweep varies {string.Join(", ", Fields.Select(f => f.Name))}; not {string.Join(", ", unknown)}.";
        var specs = new Dictionary<ConfigField, Values>();
        foreach (var field in Fields)
        {
            try
            {
                if (Read(field) is { } values) specs[field] = values;
            }
            catch (FormatException e)
            {
                errors[field.Property] = e.Message;
            }
        }
        if (IsRandom && Samples is not (>= 1 and <= MaxRuns)) errors[SamplesKey] = $"Samples: 1 to {MaxRuns}.";
        if (errors.Count > 0) return new SweepPlan([], errors);
        return IsRandom ? Draw(baseConfig, specs, errors) : Combine(baseConfig, specs, errors);
    }

    private SweepPlan Combine(TrainingConfig baseConfig, Dictionary<ConfigField, Values> specs, Dictionary<string, string> errors)
    {
        // Counted before anything is built: ten lists of twenty values are not expanded to find out.
        var count = specs.Values.Aggregate(1L, (n, spec) => Math.Min(n * spec.List!.Count, MaxRuns + 1L));
        if (count > MaxRuns)
        {
            errors[Fields[0].Property] = $"More than {MaxRuns} runs: at most {MaxRuns} at once.";
            return new SweepPlan([], errors);
        }
        IEnumerable<TrainingConfig> all = [baseConfig];
        foreach (var (field, spec) in specs) all = all.SelectMany(c => spec.List!.Select(v => field.With(c, v)));
        return Plan(baseConfig, all);
    }

    private SweepPlan Draw(TrainingConfig baseConfig, Dictionary<ConfigField, Values> specs, Dictionary<string, string> errors)
    {
        // Seeds are not drawn: every drawn configuration is trained with each listed seed.
        var seed = ConfigSchema.Get(nameof(TrainingConfig.Seed));
        var drawnFields = specs.Where(s => s.Key != seed).ToList();
        if (drawnFields.Count == 0)
        {
            errors[SamplesKey] = "Random search draws from a list or a range: fill in at least one field besides the seeds.";
            return new SweepPlan([], errors);
        }
        var seeds = specs.TryGetValue(seed, out var seedSpec) ? seedSpec.List! : [null];
        var samples = Samples!.Value;
        if ((long)samples * seeds.Count > MaxRuns)
        {
            errors[SamplesKey] = $"{samples} samples x {seeds.Count} seeds: at most {MaxRuns} runs at once.";
            return new SweepPlan([], errors);
        }
        // Distinct draws: lists are drawn from with replacement, so a draw seen before is drawn again.
        var random = new Random(SamplerSeed ?? 0);
        var distinct = new List<TrainingConfig>();
        for (var attempt = 0; distinct.Count < samples && attempt < samples * 50; attempt++)
        {
            var drawn = baseConfig;
            foreach (var (field, spec) in drawnFields) drawn = field.With(drawn, DrawValue(field, spec, random));
            if (!distinct.Contains(drawn)) distinct.Add(drawn);
        }
        if (distinct.Count < samples)
        {
            errors[SamplesKey] = $"These lists hold only {distinct.Count} different configurations: ask for at most {distinct.Count} samples, or use a grid.";
            return new SweepPlan([], errors);
        }
        return Plan(baseConfig, distinct.SelectMany(d => seeds.Select(v => v is null ? d : seed.With(d, v))));
    }

    private SweepPlan Plan(TrainingConfig baseConfig, IEnumerable<TrainingConfig> configs) =>
        new([.. configs.Select(c => new SweepMember(c, Describe(c, baseConfig)))], new Dictionary<string, string>());

    private static object? DrawValue(ConfigField field, Values spec, Random random)
    {
        if (spec.List is { } values) return values[random.Next(values.Count)];
        if (field.Kind == ConfigFieldKind.WholeNumber) return random.Next((int)spec.Low, (int)spec.High + 1);
        var u = random.NextDouble();
        var x = spec.Log ? Math.Exp(Math.Log(spec.Low) + u * (Math.Log(spec.High) - Math.Log(spec.Low))) : spec.Low + u * (spec.High - spec.Low);
        // Four significant digits: 0.01234, not 0.012345678901 (an imbalance ratio of 23.46 is factor 1/23.46).
        x = double.Parse(x.ToString("G4", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return spec.Reciprocal ? 1 / x : x;
    }

    /// <summary>
    /// What names a member: its value of every field the sweep lists (the member that keeps the base value too, so a grid
    /// over proco and la names its runs "proco" and "la"), and of any other sweep field that differs from the base.
    /// </summary>
    public string Describe(TrainingConfig member, TrainingConfig baseConfig)
    {
        var parts = new List<string>();
        // The method first, then the sweep's other fields in order: "la, imb 50, α 2, seed 1".
        foreach (var field in Fields.OrderBy(f => f.Property == nameof(TrainingConfig.Method) ? 0 : 1))
        {
            var value = field.Get(member);
            if (ListOf(field) is null && Equals(value, field.Get(baseConfig))) continue;
            parts.Add(field.Property == nameof(TrainingConfig.Method) ? (string)value! : $"{ShortLabel(field)} {FormatValue(field, value)}");
        }
        return parts.Count > 0 ? string.Join(", ", parts) : "base";
    }

    /// <summary>The fields this sweep lists values of, in <see cref="Fields"/> order.</summary>
    [JsonIgnore]
    public IReadOnlyList<ConfigField> Varied => [.. Fields.Where(f => ListOf(f) is not null)];

    /// <summary>A sweep field as run names and sweep tables head it: "α", "lr", "wd", "τ", "imb", "seed", "method".</summary>
    public static string ShortLabel(ConfigField field) => field.Property switch
    {
        nameof(TrainingConfig.ImbalanceFactor) => "imb",
        nameof(TrainingConfig.Alpha) => "α",
        nameof(TrainingConfig.LearningRate) => "lr",
        nameof(TrainingConfig.WeightDecay) => "wd",
        nameof(TrainingConfig.Temperature) => "τ",
        _ => field.Label.ToLowerInvariant(),
    };

    /// <summary>The short label of a field named by its JSON name (<see cref="ShortLabel(ConfigField)"/>); the name itself when no sweep field has it.</summary>
    public static string ShortLabel(string name) => Fields.FirstOrDefault(f => f.Name == name) is { } field ? ShortLabel(field) : name;

    /// <summary>A sweep field's value as run names show it (an imbalance as its factor, "imb 100").</summary>
    public static string FormatValue(ConfigField field, object? value) =>
        field.Property == nameof(TrainingConfig.ImbalanceFactor) && value is double ratio && ratio > 0
            ? (1 / ratio).ToString("0.##", CultureInfo.InvariantCulture)
            : field.Format(value);

    /// <summary>The title of a field's list: "Alpha values", "Methods".</summary>
    public static string Title(ConfigField field) => field.Label + (field.Kind == ConfigFieldKind.Choice ? "s" : " values");

    // One list as it was typed: values, or in random search a range of numbers. Reciprocal: the range was typed as
    // imbalance ratios (10..100); draws are made in that space.
    private sealed record Values(List<object?>? List, double Low = 0, double High = 0, bool Log = false, bool Reciprocal = false);

    // A list's values (each within its field's range), or in random search a range "lo..hi" or "lo..hi log".
    private Values? Read(ConfigField field)
    {
        var text = ListOf(field);
        if (text is null) return null;
        var range = RangePattern.Match(text);
        if (range.Success)
        {
            if (!IsRandom || field.Kind is not (ConfigFieldKind.Number or ConfigFieldKind.WholeNumber) || field.Property == nameof(TrainingConfig.Seed))
                throw new FormatException($"{Title(field)}: '{text.Trim()}' is a range; " +
                                          (IsRandom ? "list the values of this field." : "ranges are for random search (list values for a grid)."));
            var (typedA, typedB) = (Convert.ToDouble(field.ParseAsTyped(range.Groups[1].Value), CultureInfo.InvariantCulture),
                                    Convert.ToDouble(field.ParseAsTyped(range.Groups[2].Value), CultureInfo.InvariantCulture));
            var (a, b) = (field.Normalize(typedA), field.Normalize(typedB));
            var log = range.Groups[3].Success;
            if (!(Math.Max(a, b) > Math.Min(a, b))) throw new FormatException($"{Title(field)}: the range '{text.Trim()}' is empty.");
            if (log && Math.Min(a, b) <= 0) throw new FormatException($"{Title(field)}: a log range must be above 0 ('{text.Trim()}').");
            foreach (var end in new[] { a, b })
            {
                object value = field.Kind == ConfigFieldKind.WholeNumber ? (int)end : end;
                if (field.Check(value) is { } problem) throw new FormatException(NotAllowed(field, value, problem));
            }
            // Imbalance ratios (10..100) are drawn as ratios, uniformly or on a log scale, then turned into factors.
            var reciprocal = field.ReciprocalAboveOne && typedA > 1 && typedB > 1;
            if (reciprocal) (a, b) = (typedA, typedB);
            return new Values(null, Math.Min(a, b), Math.Max(a, b), log, reciprocal);
        }
        var values = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(field.Parse).Distinct().ToList();
        if (values.Select(v => (Value: v, Problem: field.Check(v))).FirstOrDefault(v => v.Problem is not null) is { Problem: { } why } bad)
            throw new FormatException(NotAllowed(field, bad.Value, why));
        return new Values(values);
    }

    private static string NotAllowed(ConfigField field, object? value, string problem)
    {
        var why = problem.StartsWith(field.Label + ": ", StringComparison.Ordinal) ? problem[(field.Label.Length + 2)..] : problem;
        return $"{Title(field)}: {field.Format(value)} is not allowed. {char.ToUpperInvariant(why[0])}{why[1..]}";
    }

    private static readonly System.Text.RegularExpressions.Regex RangePattern =
        new(@"^\s*([^.\s][^\s]*?)\s*\.\.\s*(\S+?)\s*(log)?\s*$", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.Compiled);
}

/// <summary>One run of a sweep: its configuration and what tells it apart from the others ("la, α 2, seed 1").</summary>
public sealed record SweepMember(TrainingConfig Config, string Label);

/// <summary>A sweep's runs, or, when it cannot be queued, none and every problem by field (property name).</summary>
public sealed record SweepPlan(IReadOnlyList<SweepMember> Members, IReadOnlyDictionary<string, string> Errors);
