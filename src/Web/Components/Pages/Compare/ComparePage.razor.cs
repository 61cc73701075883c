using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using ProCo.Web.Components.Shared;
using ProCo.Web.Runs;

namespace ProCo.Web.Components.Pages.Compare;

/// <summary>Selected runs overlaid on shared axes, their configuration differences, and head/medium/tail accuracy.</summary>
public partial class ComparePage
{
    [Inject] private RunQueries Queries { get; set; } = null!;
    [Inject] private IJSRuntime JS { get; set; } = null!;
    [Inject] private NavigationManager Navigation { get; set; } = null!;

    [SupplyParameterFromQuery(Name = "ids")] public string? Ids { get; set; }

    private IReadOnlyList<RunSummary> _runs = [];
    private IReadOnlyList<ConfigDifference> _diff = [];
    private IReadOnlyList<SeedGroup> _groups = [];
    private double _smoothing;
    private bool _smoothShort;
    // Runs that differ only in seeds drawn as one line with a band (min-max or ±1 standard deviation).
    private bool _groupSeeds;
    private string _band = "minmax";
    private ElementReference _charts;
    private ChartModule? _chartModule;
    // What the mounted charts show; a change mounts them again in new containers.
    private string _mounted = "";
    private string MountKey => $"{string.Join(',', _runs.Select(r => r.Id))}|{(_groupSeeds && HasSeedGroups ? _band : "")}";
    private bool HasSeedGroups => _groups.Any(g => g.Ids.Count > 1);

    protected override async Task OnParametersSetAsync()
    {
        var asked = (Ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        var ids = asked.Select(s => long.TryParse(s, out var id) ? id : -1).Where(id => id > 0).Distinct().ToList();
        (_runs, _diff, _groups) = await Queries.CompareAsync(ids);
        // What the address named but no run answers (deleted, mistyped), said rather than dropped.
        _unknown = [.. asked.Where(s => !long.TryParse(s, out var id) || _runs.All(r => r.Id != id))];
    }

    private IReadOnlyList<string> _unknown = [];

    // A differing field as the page names it: its label in the schema (every difference is a training field).
    private static string LabelOf(string field) => ProCo.Training.Engine.ConfigSchema.Get(field).Label;

    // Runs of different lengths start on the % of training axis, so a 6-epoch run is not a sliver beside 400 epochs.
    private bool LengthsDiffer => _runs.Select(r => r.Epochs).Where(e => e > 0).Distinct().Count() > 1;

    // A notice when the runs differ in what makes their curves incomparable: dataset or length.
    private string? MixedNotice
    {
        get
        {
            var parts = new List<string>();
            var datasets = _runs.Select(r => r.Dataset.Length > 0 ? r.Dataset : "unknown").Distinct().ToList();
            if (datasets.Count > 1) parts.Add($"datasets ({string.Join(", ", datasets)})");
            var epochs = _runs.Select(r => r.Epochs).Where(e => e > 0).Distinct().Order().ToList();
            if (epochs.Count > 1) parts.Add($"length ({epochs[0]} to {epochs[^1]} epochs)");
            if (parts.Count == 0) return null;
            return $"These runs differ in {string.Join(" and ", parts)}." + (epochs.Count > 1 ? " Curves start on the % of training axis; each chart's x menu switches to epochs, steps or wall time." : "")
                + (datasets.Count > 1 ? " Accuracies on different datasets are not comparable." : "");
        }
    }

    // Adding or removing a run changes the address (so it can be shared or bookmarked) and the page follows it.
    private void ShowRuns(IEnumerable<long> ids) => Navigation.NavigateTo($"/compare?ids={string.Join(',', ids)}");

    private void RemoveRun(long id) => ShowRuns(_runs.Select(r => r.Id).Where(i => i != id));

    private MudBlazor.MudAutocomplete<RunSummary>? _adder;

    private async Task AddRunAsync(RunSummary? run)
    {
        if (run is null) return;
        // The box empties for the next run.
        if (_adder is not null) await _adder.ClearAsync();
        if (_runs.All(r => r.Id != run.Id)) ShowRuns(_runs.Select(r => r.Id).Append(run.Id));
    }

    private async Task<IEnumerable<RunSummary>> SearchRunsAsync(string? text, CancellationToken ct) =>
        (await Queries.SearchAsync(text, 20, ct)).Where(r => _runs.All(shown => shown.Id != r.Id));

    // Rows of the accuracy table: a run, or a seed group with each value's mean and spread.
    private IEnumerable<(string Label, IReadOnlyList<RunSummary> Members)> TableRows =>
        _groupSeeds ? _groups.Select(g => (g.Label, (IReadOnlyList<RunSummary>)g.Ids.Select(id => _runs.First(r => r.Id == id)).ToList()))
                    : _runs.Select(r => ($"#{r.Id} {r.Name}", (IReadOnlyList<RunSummary>)[r]));

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_runs.Count < 2)
        {
            // No charts are shown: let the old ones go, so that a run added back mounts anew.
            if (_chartModule is not null)
            {
                var gone = _chartModule;
                (_chartModule, _mounted) = (null, "");
                await gone.DisposeAsync();
            }
            return;
        }
        if (_charts.Context is null) return;
        // The new module replaces the old before anything is awaited, so a render that comes while
        // the old charts are being disposed mounts nothing twice.
        ChartModule? old = null;
        if (_chartModule is not null && _mounted != MountKey) (old, _chartModule) = (_chartModule, null);
        if (_chartModule is null)
        {
            _chartModule = new ChartModule(JS, "./Components/Pages/Compare/ComparePage.razor.js");
            _mounted = MountKey;
        }
        if (old is not null) await old.DisposeAsync();
        var failed = _chartModule.Error is not null;
        var groups = _groupSeeds ? _groups.Where(g => g.Ids.Count > 1).Select(g => new { ids = g.Ids, label = g.Label }).ToArray() : [];
        await _chartModule.MountAsync(_charts, _runs.Select(r => r.Id).ToArray(), new
        {
            groups, band = _band,
            fields = _diff.Select(d => new { name = d.Field, label = LabelOf(d.Field) }).ToArray(),
            smoothing = _smoothing, smoothShort = _smoothShort, xMode = LengthsDiffer ? "percent" : "epoch",
        });
        if (!failed && _chartModule.Error is not null) StateHasChanged();
    }

    private async Task SmoothingChangedAsync((double Weight, bool SmoothShort) smoothing)
    {
        (_smoothing, _smoothShort) = smoothing;
        if (_chartModule is not null) await _chartModule.InvokeAsync("setSmoothing", _smoothing, _smoothShort);
    }

    public async ValueTask DisposeAsync()
    {
        if (_chartModule is not null) await _chartModule.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
