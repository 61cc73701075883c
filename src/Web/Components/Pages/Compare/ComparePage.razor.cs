using System.Text.Json;
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

    [SupplyParameterFromQuery(Name = "ids")] public string? Ids { get; set; }

    private List<RunSummary> _runs = [];
    private List<(string Field, string[] Values)> _diff = [];
    private double _smoothing;
    private bool _smoothShort;
    // SHORT_SERIES of wwwroot/js/shared/line-chart.js, for the tooltip.
    private const int ShortSeries = 30;
    private ElementReference _charts;
    private ChartModule? _chartModule;

    protected override async Task OnParametersSetAsync()
    {
        var ids = (Ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => long.TryParse(s, out var id) ? id : -1).Where(id => id > 0).Distinct().ToList();
        var found = await Queries.WithConfigsAsync(ids);
        _runs = found.Select(r => r.Run).ToList();
        _diff = Diff(found.Select(r => r.ConfigJson).ToList());
    }

    /// <summary>
    /// Fields whose values differ among the configurations that have them ("–" where a run lacks the
    /// field): an imported log records only a few fields, and a field it lacks is unknown, not different.
    /// </summary>
    public static List<(string Field, string[] Values)> Diff(IReadOnlyList<string> configs)
    {
        var parsed = configs.Select(json =>
        {
            try
            {
                using var doc = JsonDocument.Parse(json);
                return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString());
            }
            catch (JsonException)
            {
                return new Dictionary<string, string>();
            }
        }).ToList();
        var fields = parsed.SelectMany(p => p.Keys).Distinct().ToList();
        return fields
            .Select(f => (Field: f, Values: parsed.Select(p => p.TryGetValue(f, out var v) ? (v.Length == 0 ? "(none)" : v) : "–").ToArray()))
            .Where(row => row.Values.Where(v => v != "–").Distinct().Count() > 1)
            .ToList();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_runs.Count < 2 || _charts.Context is null) return;
        _chartModule ??= new ChartModule(JS, "./Components/Pages/Compare/ComparePage.razor.js");
        var failed = _chartModule.Error is not null;
        await _chartModule.MountAsync(_charts, _runs.Select(r => r.Id).ToArray());
        if (!failed && _chartModule.Error is not null) StateHasChanged();
    }

    private async Task SmoothingChanged(double value)
    {
        _smoothing = value;
        if (_chartModule is not null) await _chartModule.InvokeAsync("setSmoothing", value, _smoothShort);
    }

    private async Task SmoothShortChanged(bool value)
    {
        _smoothShort = value;
        if (_chartModule is not null) await _chartModule.InvokeAsync("setSmoothing", _smoothing, value);
    }

    public async ValueTask DisposeAsync()
    {
        if (_chartModule is not null) await _chartModule.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
