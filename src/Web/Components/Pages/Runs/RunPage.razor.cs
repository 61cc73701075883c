using ProCo.Web.Hosting;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.JSInterop;
using MudBlazor;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Training.Engine;
using ProCo.Web.Accounts;
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

    [CascadingParameter] private Task<AuthenticationState> Auth { get; set; } = null!;
    // What the signed-in person may do: buttons for anything else are not shown.
    private HashSet<StudioAction> _can = [];
    private string? _waiting;
    [Inject] private RunQueries Queries { get; set; } = null!;
    [Inject] private RunService Runs { get; set; } = null!;
    [Inject] private ActionBudget Budget { get; set; } = null!;
    [Inject] private PageRunActions Actions { get; set; } = null!;
    [Inject] private RunChanges Changes { get; set; } = null!;
    [Inject] private ISnackbar Snackbar { get; set; } = null!;
    [Inject] private IJSRuntime JS { get; set; } = null!;
    [Inject] private IDialogService Dialogs { get; set; } = null!;
    [Inject] private NavigationManager Navigation { get; set; } = null!;

    private RunSummary? _run;
    private string _configJson = "";
    private IReadOnlyList<CheckpointData> _checkpoints = [];
    private IReadOnlyList<RunEvent> _events = [];
    private bool _missing;
    private HashSet<string>? _importedSeries;

    // Every chart for a trained run (its series arrive as it trains); for an imported log, those it has series for.
    private IEnumerable<ChartInfo> Charts => _importedSeries is null
        ? SeriesDisplay.Charts
        : SeriesDisplay.Charts.Where(c => SeriesDisplay.All.Any(s => s.Chart == c.Key && _importedSeries.Contains(s.Name)));
    private ElementReference _charts;
    private ElementReference _console;
    private ChartModule? _consoleModule;
    private bool _problemsOnly;
    private string _notes = "";
    private string _notesDraft = "";
    private string? _notesError;
    private bool _editingNotes;

    // The console, oldest line first: every event, or only warnings and errors.
    private IEnumerable<RunEvent> ConsoleLines =>
        (_problemsOnly ? _events.Where(e => RunEventLevels.Parse(e.Level).IsProblem()) : _events).Reverse();

    private double _smoothing;
    private bool _smoothShort;

    private ChartModule? _chartModule;
    private RefreshCoalescer? _refresh;
    // The latest push about this run not yet caught up with.
    private RunMessage? _pushed;
    // A run writes its 'last' checkpoint every epoch: the list is read again at most this often while the run trains
    // (and at once when it ends, with everything else).
    private static readonly TimeSpan CheckpointsEvery = TimeSpan.FromSeconds(10);
    private const string Origin = "run page";
    private bool _checkpointsStale;
    private DateTime _checkpointsReadAt;

    private async Task SmoothingChangedAsync((double Weight, bool SmoothShort) smoothing)
    {
        (_smoothing, _smoothShort) = smoothing;
        if (_chartModule is not null) await _chartModule.InvokeAsync("setSmoothing", _smoothing, _smoothShort);
    }

    private void StartNotes()
    {
        _notesDraft = _notes;
        _notesError = null;
        _editingNotes = true;
    }

    private async Task SaveNotesAsync()
    {
        if (Budget.Take((await Auth).User, null, 1) is { } refusal)
        {
            _notesError = refusal.Message;
            return;
        }
        var (error, errors, _) = await Runs.EditAsync(Id, new RunPatch(null, null, null, null, null, _notesDraft ?? ""), (await Auth).User);
        if (error != RunActionError.None)
        {
            _notesError = errors.Values.SelectMany(v => v).FirstOrDefault() ?? error.ToString();
            return;
        }
        _notes = RunService.StoredNotes(_notesDraft ?? "");
        _editingNotes = false;
        Snackbar.Add("Notes saved.", Severity.Success);
    }

    protected override async Task OnParametersSetAsync()
    {
        _can = Permissions.AllowedActions((await Auth).User);
        // Pushes about the run (its progress every 2 s while it trains, its epochs, its end) gathered for two seconds, then
        // one catch-up: what is new of its console (one read), its checkpoints when the console says one was written (one
        // more, at most every ten seconds), everything only when its status changed. No timer: while its run trains, a page
        // reads the database at most 0.6 times a second (the charts stream over the hub and read nothing). Its reads are
        // named "run page" in the SQL (QueryOrigin).
        _refresh ??= new RefreshCoalescer(TimeSpan.FromSeconds(2), InvokeAsync, async () =>
        {
            await CatchUpAsync();
            StateHasChanged();
        });
        await LoadAsync();
        Changes.Changed -= OnRunChanged;
        Changes.Changed += OnRunChanged;
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        // Mount once, as soon as the chart containers exist (after the run has loaded).
        if (_run is null || _charts.Context is null) return;
        if (_consoleModule is null && _console.Context is not null)
        {
            _consoleModule = new ChartModule(JS, "./js/settings.js");
            await (await _consoleModule.ModuleAsync()).InvokeVoidAsync("followNewest", _console);
        }
        _chartModule ??= new ChartModule(JS, "./Components/Pages/Runs/RunPage.razor.js");
        var failed = _chartModule.Error is not null;
        await _chartModule.MountAsync(_charts, Id);
        if (!failed && _chartModule.Error is not null) StateHasChanged();
    }

    private async Task LoadAsync()
    {
        using var origin = QueryOrigin.Begin(Origin);
        var found = await Queries.WithConfigsAsync([Id]);
        _missing = found.Count == 0;
        if (_missing)
        {
            // Answered as a 404 (the app's not-found page) when the address is opened; in a live page, the notice below.
            if (!RendererInfo.IsInteractive) Navigation.NotFound();
            return;
        }
        (_run, _configJson) = found[0];
        // An imported log's series are fixed: its page shows the charts it has series for.
        if (_run.IsImported) _importedSeries ??= (await Queries.SeriesNamesAsync(Id)).ToHashSet();
        await ReadCheckpointsAsync();
        _events = await Queries.EventsAsync(Id, newest: 300) ?? [];
        if (!_editingNotes) _notes = await Queries.NotesAsync(Id) ?? "";
        _waiting = _run.Status == RunStatus.Queued ? await Queries.WaitingAsync(Id) : null;
    }

    private void OnRunChanged(RunMessage message)
    {
        if (message.RunId != Id)
        {
            // A queued run's reason to wait (its place in the queue) moves with the other runs.
            if (_run?.Status == RunStatus.Queued) _refresh?.Request();
            return;
        }
        Volatile.Write(ref _pushed, message);
        _refresh?.Request();
    }

    // After pushes: the row from the latest one and what is new of the console (one read); the checkpoints again when
    // the console says one was written (one more); everything again only when the status changed (the start, the end).
    private async Task CatchUpAsync()
    {
        using var origin = QueryOrigin.Begin(Origin);
        var pushed = Interlocked.Exchange(ref _pushed, null);
        if (_run is null || pushed is null || pushed.Status != _run.Status)
        {
            await LoadAsync();
            return;
        }
        _run = _run with
        {
            Progress = pushed.Progress, EtaSeconds = RunSummary.EtaOf(pushed.Status, _run.StartedAt, pushed.Progress),
            CompletedEpochs = pushed.CompletedEpochs, Epochs = pushed.Epochs, BestTop1 = pushed.BestTop1,
            LastTop1 = pushed.LastTop1, LastMany = pushed.LastMany, LastMedium = pushed.LastMedium, LastFew = pushed.LastFew, Error = pushed.Error,
        };
        var fresh = await Queries.EventsAfterAsync(Id, _events.Count == 0 ? 0 : _events.Max(e => e.Id));
        if (fresh.Count == 0) return;
        // The page keeps the newest 300 lines, newest first, as its first read gave them.
        _events = [.. fresh.OrderByDescending(e => e.Id).Concat(_events).Take(300)];
        _checkpointsStale |= fresh.Any(e => RunEventLevels.Parse(e.Level) == RunEventLevel.Checkpoint);
        if (_checkpointsStale && DateTime.UtcNow - _checkpointsReadAt >= CheckpointsEvery) await ReadCheckpointsAsync();
    }

    private async Task ReadCheckpointsAsync()
    {
        _checkpoints = await Queries.CheckpointsAsync(Id, checkRun: false) ?? [];
        _checkpointsStale = false;
        _checkpointsReadAt = DateTime.UtcNow;
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
        if (await Actions.CancelAsync((await Auth).User, Id, _run?.Name ?? "")) await LoadAsync();
    }

    private async Task ResumeAsync()
    {
        if (await Actions.ResumeAsync((await Auth).User, Id, _run?.Name ?? "")) await LoadAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Changes.Changed -= OnRunChanged;
        if (_chartModule is not null) await _chartModule.DisposeAsync();
        if (_consoleModule is not null) await _consoleModule.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
