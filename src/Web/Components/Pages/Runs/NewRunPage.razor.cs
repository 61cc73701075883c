using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using MudBlazor;
using ProCo.Data;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;
using ProCo.Web.Runs;

namespace ProCo.Web.Components.Pages.Runs;

/// <summary>The new-run form: presets, every recipe field with its validation, and grids of runs.</summary>
public partial class NewRunPage
{
    [Inject] private RunService Runs { get; set; } = null!;
    [Inject] private DatasetCatalog Catalog { get; set; } = null!;
    [Inject] private IDbContextFactory<ProCoDbContext> Factory { get; set; } = null!;
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

    protected override async Task OnInitializedAsync()
    {
        _datasets = Catalog.Probe();
        if (Clone is { } id)
        {
            await using var db = await Factory.CreateDbContextAsync();
            var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id);
            if (run is null || run.IsImported)
            {
                Snackbar.Add(run is null ? $"Run {id} does not exist." : "Imported runs have no configuration to clone.", Severity.Warning);
                return;
            }
            _form = RunForm.From(TrainingConfig.FromJson(run.ConfigJson));
            _form.Name = $"{run.Name} (copy)";
            _form.Tags = run.Tags;
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

    private bool Has(string field) => _errors.ContainsKey(field);
    private string? Err(string field) => _errors.GetValueOrDefault(field);

    private int GridCount() => _grid.Expand(_form.ToConfig()).Count;

    private async Task SubmitAsync()
    {
        var baseConfig = _form.ToConfig();
        _errors = baseConfig.Validate();
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
                    : $"{_form.Name} · {GridForm.Describe(config, baseConfig)}";
                var request = new RunRequest(name, tags, config);
                var errors = RunService.Validate(request);
                if (errors.Count > 0)
                {
                    Snackbar.Add(string.Join(" ", errors.SelectMany(e => e.Value)), Severity.Error);
                    return;
                }
                lastId = (await Runs.CreateAsync(request)).Id;
            }
            Snackbar.Add(configs.Count == 1 ? "Run queued." : $"{configs.Count} runs queued.", Severity.Success);
            Navigation.NavigateTo(configs.Count == 1 ? $"/runs/{lastId}" : "/runs");
        }
        finally
        {
            _submitting = false;
        }
    }

    /// <summary>The form's editable copy of a configuration.</summary>
    public sealed class RunForm
    {
        public string Dataset { get; set; } = "";
        public double ImbalanceFactor { get; set; }
        public string ImbalanceProfile { get; set; } = "exp";
        public string ClassOrder { get; set; } = "natural";
        public int? MaxPerClass { get; set; }
        public int? MaxTestPerClass { get; set; }
        public string Method { get; set; } = "proco";
        public int Epochs { get; set; }
        public int BatchSize { get; set; }
        public double LearningRate { get; set; }
        public double Momentum { get; set; }
        public double WeightDecay { get; set; }
        public int? WarmupEpochs { get; set; }
        public string Schedule { get; set; } = "step";
        public double Alpha { get; set; }
        public double Temperature { get; set; }
        public double LogitAdjustTau { get; set; }
        public int FeatDim { get; set; }
        public bool UseNorm { get; set; }
        public int Depth { get; set; }
        public int Width { get; set; }
        public int Seed { get; set; }
        public string Device { get; set; } = "cpu";
        public int EvalBatchSize { get; set; }
        public string? Name { get; set; }
        public string? Tags { get; set; }

        public static RunForm From(TrainingConfig c) => new()
        {
            Dataset = c.Dataset, ImbalanceFactor = c.ImbalanceFactor, ImbalanceProfile = c.ImbalanceProfile, ClassOrder = c.ClassOrder,
            MaxPerClass = c.MaxPerClass, MaxTestPerClass = c.MaxTestPerClass, Method = c.Method, Epochs = c.Epochs, BatchSize = c.BatchSize,
            LearningRate = c.LearningRate, Momentum = c.Momentum, WeightDecay = c.WeightDecay, WarmupEpochs = c.WarmupEpochs, Schedule = c.Schedule,
            Alpha = c.Alpha, Temperature = c.Temperature, LogitAdjustTau = c.LogitAdjustTau, FeatDim = c.FeatDim, UseNorm = c.UseNorm,
            Depth = c.Depth, Width = c.Width, Seed = c.Seed, Device = c.Device, EvalBatchSize = c.EvalBatchSize,
        };

        public TrainingConfig ToConfig() => new()
        {
            Dataset = Dataset, ImbalanceFactor = ImbalanceFactor, ImbalanceProfile = ImbalanceProfile, ClassOrder = ClassOrder,
            MaxPerClass = MaxPerClass, MaxTestPerClass = MaxTestPerClass, Method = Method, Epochs = Epochs, BatchSize = BatchSize,
            LearningRate = LearningRate, Momentum = Momentum, WeightDecay = WeightDecay, WarmupEpochs = WarmupEpochs, Schedule = Schedule,
            Alpha = Alpha, Temperature = Temperature, LogitAdjustTau = LogitAdjustTau, FeatDim = FeatDim, UseNorm = UseNorm,
            Depth = Depth, Width = Width, Seed = Seed, Device = Device.Trim(), EvalBatchSize = EvalBatchSize,
        };
    }

    /// <summary>Lists of values that turn one configuration into a grid of runs.</summary>
    public sealed class GridForm
    {
        public string? Imbalances { get; set; }
        public string? Alphas { get; set; }
        public string? Seeds { get; set; }
        public string? Methods { get; set; }
        public string? Error { get; private set; }

        /// <summary>The cartesian product of the lists (each empty list keeps the base value).</summary>
        public List<TrainingConfig> Expand(TrainingConfig baseConfig)
        {
            Error = null;
            try
            {
                var imbalances = Doubles(Imbalances, "imbalance factors") ?? [baseConfig.ImbalanceFactor];
                var alphas = Doubles(Alphas, "α values") ?? [baseConfig.Alpha];
                var seeds = Doubles(Seeds, "seeds")?.Select(s => (int)s).ToList() ?? [baseConfig.Seed];
                var methods = Words(Methods) ?? [baseConfig.Method];
                return (from f in imbalances from a in alphas from s in seeds from m in methods
                        select baseConfig with { ImbalanceFactor = f > 1 ? 1 / f : f, Alpha = a, Seed = s, Method = m }).ToList();
            }
            catch (FormatException e)
            {
                Error = e.Message;
                return [];
            }
        }

        /// <summary>What distinguishes a grid member from the base, for its name.</summary>
        public static string Describe(TrainingConfig c, TrainingConfig b)
        {
            var parts = new List<string>();
            if (c.Method != b.Method) parts.Add(c.Method);
            if (c.ImbalanceFactor != b.ImbalanceFactor) parts.Add(string.Create(CultureInfo.InvariantCulture, $"imb {1 / c.ImbalanceFactor:0.##}"));
            if (c.Alpha != b.Alpha) parts.Add(string.Create(CultureInfo.InvariantCulture, $"α {c.Alpha}"));
            if (c.Seed != b.Seed) parts.Add($"seed {c.Seed}");
            return parts.Count > 0 ? string.Join(", ", parts) : "base";
        }

        private static List<double>? Doubles(string? text, string what)
        {
            if (string.IsNullOrWhiteSpace(text)) return null;
            var values = new List<double>();
            foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                    throw new FormatException($"'{part}' in the {what} is not a number.");
                values.Add(v);
            }
            return values.Distinct().ToList();
        }

        private static List<string>? Words(string? text) => string.IsNullOrWhiteSpace(text)
            ? null
            : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(w => w.ToLowerInvariant()).Distinct().ToList();
    }
}
