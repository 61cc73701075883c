using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;
using ProCo.Web.Accounts;
using ProCo.Web.Components.Shared;
using ProCo.Web.Runs;

namespace ProCo.Web.Components.Pages.Runs;

/// <summary>The new-run form: presets, every recipe field with its validation, and grids of runs.</summary>
public partial class NewRunPage
{
    [CascadingParameter] private Task<AuthenticationState> Auth { get; set; } = null!;
    [Inject] private RunService Runs { get; set; } = null!;
    [Inject] private RunQueries Queries { get; set; } = null!;
    [Inject] private DatasetCatalog Catalog { get; set; } = null!;
    [Inject] private NavigationManager Navigation { get; set; } = null!;
    [Inject] private ISnackbar Snackbar { get; set; } = null!;

    [SupplyParameterFromQuery(Name = "clone")] public long? Clone { get; set; }

    private RunForm _form = RunForm.From(Presets.CpuDemo);
    private readonly GridForm _grid = new();
    private string _preset = "cpu-demo";
    private string? _cloneOf;
    private IReadOnlyList<DatasetStatus> _datasets = [];
    private Dictionary<string, string> _errors = [];
    private bool _submitting;
    // Viewers see the form (to read a recipe) but cannot queue it.
    private bool _canQueue = true;
    private string? _role;

    protected override async Task OnInitializedAsync()
    {
        var user = (await Auth).User;
        _canQueue = Permissions.Allows(user, StudioAction.Queue);
        _role = StudioRoles.Of(user);
        _datasets = Catalog.Available();
        if (Clone is { } id)
        {
            var (run, config) = await Queries.ConfigOfAsync(id);
            if (run is null || config is null)
            {
                Snackbar.Add(run is null ? $"Run {id} does not exist." : "Imported runs have no configuration to clone.", Severity.Warning);
                return;
            }
            _form = RunForm.From(config);
            _form.Name = $"{run.Name} (copy)";
            _form.Tags = string.Join(", ", run.Tags);
            _cloneOf = run.Name;
            _preset = "";
        }
    }

    // The form as loaded (a preset or a clone) is checked before it is first drawn.
    protected override void OnParametersSet() => Revalidate();

    private void ApplyPreset(string id)
    {
        _preset = id;
        if (Presets.All.FirstOrDefault(p => p.Id == id) is { } preset)
        {
            var (name, tags) = (_form.Name, _form.Tags);
            _form = RunForm.From(preset.Config);
            (_form.Name, _form.Tags) = (name, tags);
            Revalidate();
        }
    }

    // The runs the form and grid describe, and what is wrong with them: checked at every change, so
    // a field says what is wrong as it is typed and is clear again once mended.
    private List<TrainingConfig> _configs = [];
    private TrainingConfig _baseConfig = Presets.CpuDemo;

    private void SetValue(ConfigField field, object? value)
    {
        _form.Values[field.Property] = value;
        Revalidate();
    }

    private void SetRandom(bool random)
    {
        _grid.Random = random;
        Revalidate();
    }

    private void SetGridList(ConfigField field, string? text)
    {
        _grid.Lists[field.Property] = text;
        Revalidate();
    }

    private void Revalidate()
    {
        (_baseConfig, _configs, _errors) = Check(_form, _grid);
    }

    /// <summary>
    /// The base configuration, the grid's configurations and every error by property: a value the
    /// form could not read or left empty, a grid list's value (named on that list), and a rule a
    /// grid member breaks (on its grid list when the grid varies that field, else on the form's).
    /// </summary>
    public static (TrainingConfig Base, List<TrainingConfig> Configs, Dictionary<string, string> Errors) Check(RunForm form, GridForm grid)
    {
        var baseConfig = form.ToConfig(out var errors);
        foreach (var (field, message) in baseConfig.Validate()) errors.TryAdd(field, message);
        var configs = grid.Expand(baseConfig);
        foreach (var (field, message) in grid.Errors) errors[GridForm.Key(field)] = message;
        foreach (var memberErrors in configs.Select(c => c.Validate()))
        {
            foreach (var (field, message) in memberErrors)
                errors.TryAdd(GridForm.Varies(grid, field) ? GridForm.Key(field) : field, message);
        }
        return (baseConfig, errors.Count == 0 ? configs : [], errors);
    }

    private int GridCount() => _configs.Count;

    // "Epochs: at least 1 and at most 10000." — each error with the name of its field.
    private string ErrorSummary() => string.Join(" ", _errors.Select(e =>
    {
        var property = GridForm.PropertyOf(e.Key);
        var label = ConfigSchema.Fields.FirstOrDefault(f => f.Property == property) is { } field
            ? GridForm.IsKey(e.Key) ? GridForm.Title(field) : field.Label : property;
        return e.Value.StartsWith(label, StringComparison.OrdinalIgnoreCase) || e.Value.StartsWith(property, StringComparison.Ordinal)
            ? e.Value : $"{label}: {e.Value}";
    }));

    private async Task SubmitAsync()
    {
        Revalidate();
        if (_errors.Count > 0) return;
        var (baseConfig, configs) = (_baseConfig, _configs);
        _submitting = true;
        try
        {
            var tags = (_form.Tags ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            long lastId = 0;
            foreach (var config in configs)
            {
                var name = string.IsNullOrWhiteSpace(_form.Name) ? null
                    : configs.Count == 1 ? _form.Name
                    : $"{_form.Name} · {_grid.Describe(config, baseConfig)}";
                var request = new RunRequest(name, tags, config);
                var errors = Runs.Validate(request);
                if (errors.Count > 0)
                {
                    Snackbar.Add(string.Join(" ", errors.SelectMany(e => e.Value)), Severity.Error);
                    return;
                }
                lastId = (await Runs.CreateAsync(request, (await Auth).User)).Id;
            }
            Snackbar.Add(configs.Count == 1 ? "Run queued." : $"{configs.Count} runs queued.", Severity.Success);
            Navigation.NavigateTo(configs.Count == 1 ? $"/runs/{lastId}" : "/runs");
        }
        finally
        {
            _submitting = false;
        }
    }

    /// <summary>The form's editable copy of a configuration: one value per <see cref="ConfigSchema"/> field.</summary>
    public sealed class RunForm
    {
        /// <summary>Values by property name; null where a box was emptied.</summary>
        public Dictionary<string, object?> Values { get; } = [];
        public string? Name { get; set; }
        public string? Tags { get; set; }

        public static RunForm From(TrainingConfig config)
        {
            var form = new RunForm();
            foreach (var field in ConfigSchema.Fields) form.Values[field.Property] = field.Get(config);
            return form;
        }

        /// <summary>
        /// The configuration the form holds; a required field left empty, or text that is no value of its
        /// field (kept as typed, <see cref="TypedText"/>), is reported in <paramref name="missing"/> and keeps its default.
        /// </summary>
        public TrainingConfig ToConfig(out Dictionary<string, string> missing)
        {
            missing = [];
            var config = new TrainingConfig();
            foreach (var field in ConfigSchema.Fields)
            {
                var value = Values.GetValueOrDefault(field.Property);
                if (value is TypedText typed) missing[field.Property] = typed.Error;
                else if (value is null && !field.IsNullable) missing[field.Property] = $"{field.Label} is required.";
                else config = field.With(config, value is double number ? field.Normalize(number) : value);
            }
            return config;
        }
    }

    /// <summary>
    /// Lists of values that turn one configuration into a grid of runs, or, in random search, lists
    /// and ranges ("0.01..0.1", "0.001..0.1 log") from which <see cref="Samples"/> configurations are
    /// drawn (reproducibly, from <see cref="SamplerSeed"/>), each trained once per listed seed.
    /// </summary>
    public sealed partial class GridForm
    {
        /// <summary>The fields a grid or a random search can vary.</summary>
        public static readonly IReadOnlyList<ConfigField> Fields =
            [.. new[]
            {
                nameof(TrainingConfig.ImbalanceFactor), nameof(TrainingConfig.Alpha), nameof(TrainingConfig.LearningRate),
                nameof(TrainingConfig.WeightDecay), nameof(TrainingConfig.Temperature), nameof(TrainingConfig.Seed), nameof(TrainingConfig.Method),
            }.Select(ConfigSchema.Get)];

        /// <summary>Most runs one submission may queue.</summary>
        public const int MaxRuns = 200;

        /// <summary>Comma-separated values (or, in random search, a range) by property name.</summary>
        public Dictionary<string, string?> Lists { get; } = Fields.ToDictionary(f => f.Property, _ => (string?)null);
        /// <summary>What is wrong with each list, by property name (a value that is no value of its field, or outside its range).</summary>
        public Dictionary<string, string> Errors { get; } = [];
        /// <summary>Draw <see cref="Samples"/> configurations instead of taking every combination.</summary>
        public bool Random { get; set; }
        /// <summary>Configurations a random search draws (each trained once per listed seed).</summary>
        public int? Samples { get; set; } = 8;
        /// <summary>Seed of the draws: the same seed and lists give the same runs.</summary>
        public int? SamplerSeed { get; set; }

        /// <summary>The key of a grid list's error among the form's errors ("grid:Seed"), so the list and not the form's field is marked.</summary>
        public static string Key(string property) => "grid:" + property;
        public static bool IsKey(string key) => key.StartsWith("grid:", StringComparison.Ordinal);
        public static string PropertyOf(string key) => IsKey(key) ? key[5..] : key;
        public static bool Varies(GridForm grid, string property) => grid.Lists.TryGetValue(property, out var text) && !string.IsNullOrWhiteSpace(text);

        public static string Title(ConfigField field) => field.Label + (field.Kind == ConfigFieldKind.Choice ? "s" : " values");

        public string Example(ConfigField field) => field.Kind switch
        {
            ConfigFieldKind.Choice => string.Join(", ", field.Choices.Select(c => c.Value)),
            ConfigFieldKind.WholeNumber => "0, 1, 2",
            _ when Random && field.ReciprocalAboveOne => "10..100 log",
            _ when Random && field.Property == nameof(TrainingConfig.LearningRate) => "0.01..0.3 log",
            _ when Random && field.Property == nameof(TrainingConfig.WeightDecay) => "1e-5..1e-3 log",
            _ when Random => "0.5..2",
            _ when field.ReciprocalAboveOne => "0.01, 0.02, 0.1",
            _ => "0.5, 1, 2",
        };

        // One list as the user typed it: values, or in random search a range of numbers.
        // Reciprocal: the range was typed as imbalance ratios (10..100); draws are made in that space.
        private sealed record Spec(List<object?>? Values, double Low = 0, double High = 0, bool Log = false, bool Reciprocal = false);

        /// <summary>
        /// The runs: every combination of the lists, or in random search the drawn configurations times
        /// the listed seeds (each empty list keeps the base value); empty when a list has an error.
        /// </summary>
        public List<TrainingConfig> Expand(TrainingConfig baseConfig)
        {
            Errors.Clear();
            var specs = new Dictionary<ConfigField, Spec>();
            foreach (var field in Fields)
            {
                try
                {
                    if (Read(field) is { } spec) specs[field] = spec;
                }
                catch (FormatException e)
                {
                    Errors[field.Property] = e.Message;
                }
            }
            if (Random && Samples is not (>= 1 and <= MaxRuns)) Errors["Samples"] = $"Samples: 1 to {MaxRuns}.";
            if (Errors.Count > 0) return [];
            List<TrainingConfig> configs;
            if (!Random)
            {
                // Counted before anything is built: ten lists of twenty values are not expanded to find out.
                var count = specs.Values.Aggregate(1L, (n, spec) => Math.Min(n * spec.Values!.Count, MaxRuns + 1L));
                if (count > MaxRuns)
                {
                    Errors[Fields[0].Property] = $"More than {MaxRuns} runs: at most {MaxRuns} at once.";
                    return [];
                }
                IEnumerable<TrainingConfig> all = [baseConfig];
                foreach (var (field, spec) in specs) all = all.SelectMany(c => spec.Values!.Select(v => field.With(c, v)));
                configs = all.ToList();
            }
            else
            {
                // Seeds are not drawn: every drawn configuration is trained with each listed seed.
                var seed = ConfigSchema.Get(nameof(TrainingConfig.Seed));
                var drawnFields = specs.Where(s => s.Key != seed).ToList();
                if (drawnFields.Count == 0)
                {
                    Errors["Samples"] = "Random search draws from a list or a range: fill in at least one field besides the seeds.";
                    return [];
                }
                var seeds = specs.TryGetValue(seed, out var seedSpec) ? seedSpec.Values! : [null];
                if ((long)Samples!.Value * seeds.Count > MaxRuns)
                {
                    Errors["Samples"] = $"{Samples} samples x {seeds.Count} seeds: at most {MaxRuns} runs at once.";
                    return [];
                }
                // Distinct draws: lists are drawn from with replacement, so a draw seen before is drawn again.
                var random = new Random(SamplerSeed ?? 0);
                var distinct = new List<TrainingConfig>();
                for (var attempt = 0; distinct.Count < Samples && attempt < Samples * 50; attempt++)
                {
                    var drawn = baseConfig;
                    foreach (var (field, spec) in drawnFields) drawn = field.With(drawn, Draw(field, spec, random));
                    if (!distinct.Contains(drawn)) distinct.Add(drawn);
                }
                if (distinct.Count < Samples)
                {
                    Errors["Samples"] = $"These lists hold only {distinct.Count} different configurations: ask for at most {distinct.Count} samples, or use a grid.";
                    return [];
                }
                configs = distinct.SelectMany(d => seeds.Select(v => v is null ? d : seed.With(d, v))).ToList();
            }
            return configs;
        }

        private static object? Draw(ConfigField field, Spec spec, Random random)
        {
            if (spec.Values is { } values) return values[random.Next(values.Count)];
            if (field.Kind == ConfigFieldKind.WholeNumber) return random.Next((int)spec.Low, (int)spec.High + 1);
            var u = random.NextDouble();
            var x = spec.Log ? Math.Exp(Math.Log(spec.Low) + u * (Math.Log(spec.High) - Math.Log(spec.Low))) : spec.Low + u * (spec.High - spec.Low);
            // Four significant digits: 0.01234, not 0.012345678901 (an imbalance ratio of 23.46 is factor 1/23.46).
            x = double.Parse(x.ToString("G4", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            return spec.Reciprocal ? 1 / x : x;
        }

        /// <summary>
        /// What names a grid member: its value of every field the grid lists (the member that keeps the
        /// form's value too, so a grid over proco and la names its runs "proco" and "la"), and of any
        /// other grid field that differs from the base.
        /// </summary>
        public string Describe(TrainingConfig c, TrainingConfig b)
        {
            var parts = new List<string>();
            // The method first, then the grid's other fields in order: "la, imb 50, α 2, seed 1".
            foreach (var field in Fields.OrderBy(f => f.Property == nameof(TrainingConfig.Method) ? 0 : 1))
            {
                var value = field.Get(c);
                if (string.IsNullOrWhiteSpace(Lists[field.Property]) && Equals(value, field.Get(b))) continue;
                parts.Add(field.Property switch
                {
                    nameof(TrainingConfig.Method) => (string)value!,
                    nameof(TrainingConfig.ImbalanceFactor) => string.Create(CultureInfo.InvariantCulture, $"imb {1 / (double)value!:0.##}"),
                    nameof(TrainingConfig.Alpha) => $"α {field.Format(value)}",
                    nameof(TrainingConfig.LearningRate) => $"lr {field.Format(value)}",
                    nameof(TrainingConfig.WeightDecay) => $"wd {field.Format(value)}",
                    nameof(TrainingConfig.Temperature) => $"τ {field.Format(value)}",
                    _ => $"{field.Label.ToLowerInvariant()} {field.Format(value)}",
                });
            }
            return parts.Count > 0 ? string.Join(", ", parts) : "base";
        }

        // A list's values (each within its field's range), or in random search a range "lo..hi" or "lo..hi log".
        private Spec? Read(ConfigField field)
        {
            var text = Lists[field.Property];
            if (string.IsNullOrWhiteSpace(text)) return null;
            var range = RangePattern().Match(text);
            if (range.Success)
            {
                if (!Random || field.Kind is not (ConfigFieldKind.Number or ConfigFieldKind.WholeNumber) || field.Property == nameof(TrainingConfig.Seed))
                    throw new FormatException($"{Title(field)}: '{text.Trim()}' is a range; " +
                                              (Random ? "list the values of this field." : "ranges are for random search (list values for a grid)."));
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
                return new Spec(null, Math.Min(a, b), Math.Max(a, b), log, reciprocal);
            }
            var values = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(field.Parse).Distinct().ToList();
            if (values.Select(v => (Value: v, Problem: field.Check(v))).FirstOrDefault(v => v.Problem is not null) is { Problem: { } why } bad)
                throw new FormatException(NotAllowed(field, bad.Value, why));
            return new Spec(values);
        }

        private static string NotAllowed(ConfigField field, object? value, string problem)
        {
            var why = problem.StartsWith(field.Label + ": ", StringComparison.Ordinal) ? problem[(field.Label.Length + 2)..] : problem;
            return $"{Title(field)}: {field.Format(value)} is not allowed. {char.ToUpperInvariant(why[0])}{why[1..]}";
        }

        [System.Text.RegularExpressions.GeneratedRegex(@"^\s*([^.\s][^\s]*?)\s*\.\.\s*(\S+?)\s*(log)?\s*$", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
        private static partial System.Text.RegularExpressions.Regex RangePattern();
    }
}
