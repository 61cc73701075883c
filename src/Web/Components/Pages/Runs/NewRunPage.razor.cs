using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;
using ProCo.Web.Accounts;
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
    private IReadOnlyDictionary<string, string> _errors = new Dictionary<string, string>();
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

    private void ApplyPreset(string id)
    {
        _preset = id;
        if (Presets.All.FirstOrDefault(p => p.Id == id) is { } preset)
        {
            var (name, tags) = (_form.Name, _form.Tags);
            _form = RunForm.From(preset.Config);
            (_form.Name, _form.Tags) = (name, tags);
            _errors = new Dictionary<string, string>();
        }
    }

    private int GridCount() => _form.ToConfig(out _) is { } config ? _grid.Expand(config).Count : 0;

    private async Task SubmitAsync()
    {
        var baseConfig = _form.ToConfig(out var missing);
        _errors = missing.Count > 0 ? missing : baseConfig.Validate();
        if (_errors.Count > 0) return;
        var configs = _grid.Expand(baseConfig);
        if (_grid.Error is not null) return;
        var invalid = configs.Select(c => c.Validate()).FirstOrDefault(e => e.Count > 0);
        if (invalid is not null)
        {
            _errors = invalid;
            return;
        }
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

        /// <summary>The configuration the form holds; a required field left empty is reported in <paramref name="missing"/> and keeps its default.</summary>
        public TrainingConfig ToConfig(out Dictionary<string, string> missing)
        {
            missing = [];
            var config = new TrainingConfig();
            foreach (var field in ConfigSchema.Fields)
            {
                var value = Values.GetValueOrDefault(field.Property);
                if (value is null && !field.IsNullable) missing[field.Property] = $"{field.Label} is required.";
                else config = field.With(config, value is double number ? field.Normalize(number) : value);
            }
            return config;
        }
    }

    /// <summary>Lists of values that turn one configuration into a grid of runs.</summary>
    public sealed class GridForm
    {
        /// <summary>The fields a grid can vary.</summary>
        public static readonly IReadOnlyList<ConfigField> Fields =
            [.. new[] { nameof(TrainingConfig.ImbalanceFactor), nameof(TrainingConfig.Alpha), nameof(TrainingConfig.Seed), nameof(TrainingConfig.Method) }
                .Select(ConfigSchema.Get)];

        /// <summary>Comma-separated values by property name.</summary>
        public Dictionary<string, string?> Lists { get; } = Fields.ToDictionary(f => f.Property, _ => (string?)null);
        public string? Error { get; private set; }

        public static string Title(ConfigField field) => field.Label + (field.Kind == ConfigFieldKind.Choice ? "s" : " values");

        public static string Example(ConfigField field) => field.Kind switch
        {
            ConfigFieldKind.Choice => string.Join(", ", field.Choices.Select(c => c.Value)),
            ConfigFieldKind.WholeNumber => "0, 1, 2",
            _ when field.ReciprocalAboveOne => "0.01, 0.02, 0.1",
            _ => "0.5, 1, 2",
        };

        /// <summary>The cartesian product of the lists (each empty list keeps the base value).</summary>
        public List<TrainingConfig> Expand(TrainingConfig baseConfig)
        {
            Error = null;
            try
            {
                IEnumerable<TrainingConfig> configs = [baseConfig];
                foreach (var field in Fields)
                {
                    var values = Values(field);
                    if (values is not null) configs = configs.SelectMany(c => values.Select(v => field.With(c, v)));
                }
                return configs.ToList();
            }
            catch (FormatException e)
            {
                Error = e.Message;
                return [];
            }
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
                    _ => $"{field.Label.ToLowerInvariant()} {field.Format(value)}",
                });
            }
            return parts.Count > 0 ? string.Join(", ", parts) : "base";
        }

        private List<object?>? Values(ConfigField field)
        {
            var text = Lists[field.Property];
            if (string.IsNullOrWhiteSpace(text)) return null;
            return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(field.Parse).Distinct().ToList();
        }
    }
}
