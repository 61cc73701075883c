using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.JSInterop;
using MudBlazor;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Web.Api;
using ProCo.Web.Components.Shared;
using ProCo.Web.Live;
using ProCo.Web.Runs;

namespace ProCo.Web.Components.Pages.Runs;

/// <summary>
/// One run, live: charts are drawn by the JavaScript module from the hub; this component renders
/// the status, checkpoints and events, refreshed when the run changes.
/// </summary>
public partial class RunPage
{
    [Parameter] public long Id { get; set; }

    [Inject] private IDbContextFactory<ProCoDbContext> Factory { get; set; } = null!;
    [Inject] private RunService Runs { get; set; } = null!;
    [Inject] private RunBroadcaster Broadcaster { get; set; } = null!;
    [Inject] private ISnackbar Snackbar { get; set; } = null!;
    [Inject] private IJSRuntime JS { get; set; } = null!;
    [Inject] private IDialogService Dialogs { get; set; } = null!;

    private RunSummary? _run;
    private string _configJson = "";
    private List<CheckpointData> _checkpoints = [];
    private List<RunEvent> _events = [];
    private bool _missing;
    private ElementReference _charts;
    private ChartModule? _chartModule;
    private Timer? _timer;
    private RefreshCoalescer? _refresh;

    protected override async Task OnParametersSetAsync()
    {
        _refresh ??= new RefreshCoalescer(TimeSpan.FromMilliseconds(200), InvokeAsync, async () =>
        {
            await LoadAsync();
            StateHasChanged();
        });
        await LoadAsync();
        Broadcaster.RunChanged -= OnRunChanged;
        Broadcaster.RunChanged += OnRunChanged;
        // Events and checkpoints of a run trained elsewhere (another worker process) are picked up too.
        _timer ??= new Timer(_ => { if (_run?.Status is "Running" or "Queued" or "Interrupted") OnRunChanged(null); }, null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        // Mount once, as soon as the chart containers exist (after the run has loaded).
        if (_run is null || _charts.Context is null) return;
        _chartModule ??= new ChartModule(JS);
        await _chartModule.MountAsync("mountRun", _charts, Id);
    }

    private async Task LoadAsync()
    {
        await using var db = await Factory.CreateDbContextAsync();
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == Id);
        _missing = run is null;
        if (run is null) return;
        _run = RunSummary.From(run);
        _configJson = run.ConfigJson;
        _checkpoints = (await db.Checkpoints.AsNoTracking().Where(c => c.RunId == Id).OrderBy(c => c.Kind).ToListAsync()).Select(CheckpointData.From).ToList();
        _events = await db.RunEvents.AsNoTracking().Where(e => e.RunId == Id).OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Take(300).ToListAsync();
    }

    private void OnRunChanged(RunMessage? message)
    {
        if (message is not null && message.RunId != Id) return;
        _refresh?.Request();
    }

    private async Task EditAsync()
    {
        var parameters = new DialogParameters<EditRunDialog> { { d => d.Run, _run! } };
        var dialog = await Dialogs.ShowAsync<EditRunDialog>(_run!.IsImported ? "Edit imported run" : "Edit run", parameters);
        if (await dialog.Result is { Canceled: false })
        {
            Snackbar.Add("Saved.", Severity.Success);
            await LoadAsync();
        }
    }

    private async Task CancelAsync()
    {
        var (error, message) = await Runs.CancelAsync(Id);
        Snackbar.Add(message, error == RunActionError.None ? Severity.Info : Severity.Warning);
        await LoadAsync();
    }

    private async Task ResumeAsync()
    {
        var (error, message) = await Runs.ResumeAsync(Id);
        Snackbar.Add(message, error == RunActionError.None ? Severity.Success : Severity.Warning);
        await LoadAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Broadcaster.RunChanged -= OnRunChanged;
        if (_timer is not null) await _timer.DisposeAsync();
        if (_chartModule is not null) await _chartModule.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
