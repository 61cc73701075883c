using ProCo.Web.Hosting;
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
    [Inject] private PageRunActions Actions { get; set; } = null!;
    [Inject] private SweepService Sweeps { get; set; } = null!;
    [Inject] private TrainingLimits Limits { get; set; } = null!;
    [Inject] private RunQueries Queries { get; set; } = null!;
    [Inject] private DatasetCatalog Catalog { get; set; } = null!;
    [Inject] private NavigationManager Navigation { get; set; } = null!;
    [Inject] private ISnackbar Snackbar { get; set; } = null!;

    // Text, read here: an address someone typed or shortened ("?clone=abc") gets a notice, not an error page.
    [SupplyParameterFromQuery(Name = "clone")] public string? Clone { get; set; }

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
        if (!string.IsNullOrEmpty(Clone))
        {
            if (!long.TryParse(Clone, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) || id <= 0)
            {
                Snackbar.Add($"'{Clone}' is not a run number: the form starts from the preset.", Severity.Warning);
                return;
            }
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

    // Fields that only an image folder reads (crop, loader threads, unreadable files, the torchvision width): not shown
    // for a built-in dataset while they keep their defaults.
    private static readonly HashSet<string> ImageFolderFields =
        [nameof(TrainingConfig.CropSize), nameof(TrainingConfig.LoaderThreads), nameof(TrainingConfig.UnreadableImages), nameof(TrainingConfig.WidthDivisor)];

    private bool Shown(ConfigField field) =>
        !ImageFolderFields.Contains(field.Property)
        || KnownDatasets.Find(_form.Values[nameof(TrainingConfig.Dataset)] as string ?? "") is null
        || !Equals(_form.Values[field.Property], field.Default);

    private void Revalidate()
    {
        (_baseConfig, _configs, _errors) = Check(_form, _grid);
        if (_errors.Count > 0) return;
        // What this server will train (epochs, parameters, memory), said as the values are typed, not after queueing:
        // the limits the API and the queue apply, from the same place.
        foreach (var config in _configs)
        {
            foreach (var (name, messages) in Limits.Check(config))
            {
                var property = ConfigSchema.Fields.FirstOrDefault(f => f.Name == name)?.Property ?? name;
                _errors.TryAdd(GridForm.Varies(_grid, property) ? GridForm.Key(property) : property, messages[0]);
            }
        }
        if (_errors.Count > 0) _configs = [];
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
        // A random search with nothing typed yet has nothing to draw: no run, and no error before anything is typed.
        if (grid.Random && grid.Lists.Values.All(string.IsNullOrWhiteSpace)) return (baseConfig, [], errors);
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
        var configs = _configs;
        _submitting = true;
        try
        {
            var tags = (_form.Tags ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var user = (await Auth).User;
            if (configs.Count == 1)
            {
                var request = new RunRequest(_form.Name, tags, configs[0]);
                if (Refused(Runs.Validate(request)) || OverBudget(user, 1)) return;
                var run = await Runs.CreateAsync(request, user);
                Snackbar.Add("Run queued.", Severity.Success);
                Navigation.NavigateTo($"/runs/{run.Id}");
                return;
            }
            // A grid or a random search: one sweep, all its runs or none.
            var sweep = new SweepRequest(_form.Name, tags, _baseConfig, _grid.ToSpec());
            var (plan, planErrors) = Sweeps.Plan(sweep);
            if (Refused(planErrors) || OverBudget(user, plan.Members.Count)) return;
            var queued = await Sweeps.QueueAsync(sweep, user);
            Snackbar.Add($"{queued.RunIds.Count} runs queued (sweep {queued.Id}).", Severity.Success);
            Navigation.NavigateTo($"/sweeps/{queued.Id}");
        }
        finally
        {
            _submitting = false;
        }
    }

    // Each run a submission queues counts against the user's actions a minute, as through the API.
    private bool OverBudget(System.Security.Claims.ClaimsPrincipal user, int runs) => Actions.OverBudget(user, runs);

    // What the server refuses that the form could not know (this server's limits), said at once.
    private bool Refused(Dictionary<string, string[]> errors)
    {
        if (errors.Count == 0) return false;
        Snackbar.Add(string.Join(" ", errors.SelectMany(e => e.Value)), Severity.Error);
        return true;
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
    /// The form's lists of values that turn one configuration into a grid of runs, or, in random search, lists
    /// and ranges ("0.01..0.1", "0.001..0.1 log") from which <see cref="Samples"/> configurations are drawn: what the
    /// user typed, read and expanded by <see cref="SweepSpec"/> (the sweep the API and the CLI queue too).
    /// </summary>
    public sealed class GridForm
    {
        /// <summary>The fields a grid or a random search can vary.</summary>
        public static IReadOnlyList<ConfigField> Fields => SweepSpec.Fields;

        /// <summary>Most runs one submission may queue.</summary>
        public const int MaxRuns = SweepSpec.MaxRuns;

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

        public static string Title(ConfigField field) => SweepSpec.Title(field);

        public string Example(ConfigField field) => field.Kind switch
        {
            ConfigFieldKind.Choice => string.Join(", ", field.Choices.Select(c => c.Value)),
            ConfigFieldKind.WholeNumber => "0, 1, 2",
            _ when Random && field.ReciprocalAboveOne => "10..100 log",
            _ when Random && field.Property == nameof(TrainingConfig.LearningRate) => "0.01..0.3 log",
            _ when Random && field.Property == nameof(TrainingConfig.WeightDecay) => "1e-5..1e-3 log",
            _ when Random => "0.5..2",
            // The paper's imbalance ratios; 0.01, 0.02, 0.1 mean the same (HelperText says so).
            _ when field.ReciprocalAboveOne => "100, 50, 10",
            // Values a researcher would try for this field, not one example for all of them.
            _ when field.Property == nameof(TrainingConfig.LearningRate) => "0.05, 0.1, 0.3",
            _ when field.Property == nameof(TrainingConfig.WeightDecay) => "1e-4, 2e-4, 5e-4",
            _ when field.Property == nameof(TrainingConfig.Temperature) => "0.07, 0.1, 0.2",
            _ => "0.5, 1, 2",
        };

        /// <summary>How a list's values are read, where that is not obvious (an imbalance typed as ratio or factor).</summary>
        public static string? Helper(ConfigField field) =>
            field.ReciprocalAboveOne ? "ratio or factor: 100 and 0.01 are both imbalance 100" : null;

        /// <summary>The sweep these lists describe.</summary>
        public SweepSpec ToSpec() => new()
        {
            Kind = Random ? SweepSpec.RandomKind : SweepSpec.GridKind,
            Lists = Lists.Where(l => !string.IsNullOrWhiteSpace(l.Value)).ToDictionary(l => l.Key, l => l.Value!),
            Samples = Random ? Samples : null,
            SamplerSeed = Random ? SamplerSeed : null,
        };

        /// <summary>
        /// The runs: every combination of the lists, or in random search the drawn configurations times
        /// the listed seeds (each empty list keeps the base value); empty when a list has an error (<see cref="Errors"/>).
        /// </summary>
        public List<TrainingConfig> Expand(TrainingConfig baseConfig)
        {
            var plan = ToSpec().Expand(baseConfig);
            Errors.Clear();
            foreach (var (property, message) in plan.Errors) Errors[property] = message;
            return [.. plan.Members.Select(m => m.Config)];
        }

        /// <summary>What names a grid member ("la, imb 50, α 2, seed 1"); see <see cref="SweepSpec.Describe"/>.</summary>
        public string Describe(TrainingConfig c, TrainingConfig b) => ToSpec().Describe(c, b);
    }
}
