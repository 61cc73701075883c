using ProCo.Web.Hosting;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.JSInterop;
using MudBlazor;
using ProCo.Data.Entities;
using ProCo.Training.Engine;
using ProCo.Web.Accounts;
using ProCo.Web.Components.Shared;
using ProCo.Web.Live;
using ProCo.Web.Runs;

namespace ProCo.Web.Components.Pages.Runs;

/// <summary>All runs: filter, sort, choose columns, select to compare, act on runs; refreshes live.</summary>
public partial class RunsPage
{
    /// <summary>Optional columns of the table (name, status and actions always show).</summary>
    public static readonly IReadOnlyList<(string Key, string Title)> Columns =
    [
        ("progress", "Progress / ETA"), ("dataset", "Dataset"), ("method", "Method"), ("imbalance", "Imbalance"), ("hyper", "Recipe"),
        ("best", "Best top-1"), ("last", "Last top-1 (last epoch)"), ("shots", "Many / medium / few"), ("tags", "Tags"), ("created", "Created"),
    ];

    [CascadingParameter] private Task<AuthenticationState> Auth { get; set; } = null!;
    // What the signed-in person may do: buttons for anything else are not shown.
    private HashSet<StudioAction> _can = [];
    [Inject] private RunQueries Queries { get; set; } = null!;
    [Inject] private RunService Runs { get; set; } = null!;
    [Inject] private PageRunActions Actions { get; set; } = null!;
    [Inject] private ImportService Imports { get; set; } = null!;
    [Inject] private RunChanges Changes { get; set; } = null!;
    [Inject] private ISnackbar Snackbar { get; set; } = null!;
    [Inject] private IDialogService Dialogs { get; set; } = null!;
    [Inject] private NavigationManager Navigation { get; set; } = null!;
    [Inject] private IJSRuntime JS { get; set; } = null!;

    private List<RunSummary>? _runs;
    // Newest first until a header is clicked; results start with the best run, dates with the newest.
    private readonly TableSort<RunSummary> _sort = new TableSort<RunSummary>("created", descending: true)
        .Add("name", r => r.Name).Add("status", r => r.Status).Add("dataset", r => r.Dataset).Add("method", r => r.Method)
        .Add("imbalance", r => r.ImbalanceFactor)
        .Add("best", r => r.BestTop1, descendingFirst: true).Add("last", r => r.LastTop1, descendingFirst: true)
        .Add("created", r => r.CreatedAt, descendingFirst: true);

    private static readonly Dictionary<string, string> SortTitles = new()
    {
        ["name"] = "Name", ["status"] = "Status", ["dataset"] = "Dataset", ["method"] = "Method", ["imbalance"] = "Imbalance",
        ["best"] = "Best top-1", ["last"] = "Last top-1", ["created"] = "Created",
    };

    private string SortChoice => $"{_sort.Key}:{(_sort.Descending ? "desc" : "asc")}";

    private void SetSortChoice(string? choice)
    {
        if (choice?.Split(':') is [var key, var direction] && _sort.Has(key)) _sort.Set(key, direction == "desc");
    }
    private HashSet<RunSummary> _selected = [];
    // Shown by default: what fits a laptop screen next to the navigation; the rest is a click away.
    private HashSet<string> _hidden = ["hyper", "tags", "created"];
    private string? _search, _dataset, _method;
    private RunStatus? _status;
    private bool _busy;
    private ChartModule? _settings;
    private Timer? _timer;
    private RefreshCoalescer? _refresh;

    // Conditions on configuration fields ("alpha >= 0.5, seed = 1"), and why the text cannot be read, if it cannot.
    private string? _configFilterText;
    private ConfigFilter _configFilter = ConfigFilter.None;
    private string? _configFilterError;

    private void SetConfigFilter(string? text)
    {
        _configFilterText = text;
        var (filter, error) = ConfigFilter.Parse(text);
        _configFilterError = error;
        // While the text cannot be read, the table keeps the last filter that could.
        if (error is null) _configFilter = filter;
    }

    private IEnumerable<RunSummary> Filtered => (_runs ?? []).Where(r =>
        _configFilter.Matches(r) && (_status is null || r.Status == _status) && (_dataset is null || r.Dataset == _dataset) && (_method is null || r.Method == _method) &&
        (string.IsNullOrWhiteSpace(_search) || r.Name.Contains(_search, StringComparison.OrdinalIgnoreCase) ||
         r.Tags.Any(t => t.Contains(_search, StringComparison.OrdinalIgnoreCase))));

    private bool Shown(string column) => !_hidden.Contains(column);

    protected override async Task OnInitializedAsync()
    {
        _can = Permissions.AllowedActions((await Auth).User);
        _refresh = new RefreshCoalescer(TimeSpan.FromMilliseconds(250), InvokeAsync, async () =>
        {
            await LoadAsync();
            StateHasChanged();
        });
        await LoadAsync();
        Changes.Changed += OnRunChanged;
        // Runs trained by another process report no events here: refresh while anything is in flight.
        _timer = new Timer(_ => { if (_runs?.Any(r => r.CanCancel) == true) _refresh.Request(); },
            null, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3));
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_focusChooser && _settings is not null)
        {
            _focusChooser = false;
            await (await _settings.ModuleAsync()).InvokeVoidAsync("focusFirst", "#column-chooser input");
        }
        if (!firstRender) return;
        _settings = new ChartModule(JS, "./js/settings.js");
        var saved = await (await _settings.ModuleAsync()).InvokeAsync<string?>("loadSetting", "runs.hiddenColumns");
        if (saved is not null)
        {
            _hidden = saved.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
            StateHasChanged();
        }
    }

    private async Task LoadAsync()
    {
        var selectedIds = _selected.Select(s => s.Id).ToHashSet();
        _runs = await Queries.AllAsync();
        _selected = _runs.Where(r => selectedIds.Contains(r.Id)).ToHashSet();
    }

    private void OnRunChanged(RunMessage message) => _refresh?.Request();

    private bool _chooserOpen;
    private MudIconButton? _chooserButton;

    private bool _focusChooser;

    // Opening moves focus to the first box (once it is drawn), as a menu would.
    private void ToggleChooserAsync()
    {
        _chooserOpen = !_chooserOpen;
        _focusChooser = _chooserOpen;
    }

    private async Task CloseChooserAsync()
    {
        _chooserOpen = false;
        if (_chooserButton is not null) await _chooserButton.FocusAsync();
    }

    private async Task ChooserKeyAsync(Microsoft.AspNetCore.Components.Web.KeyboardEventArgs e)
    {
        if (e.Key == "Escape") await CloseChooserAsync();
    }

    private async Task ToggleColumnAsync(string key)
    {
        if (!_hidden.Remove(key)) _hidden.Add(key);
        if (_settings is not null) await (await _settings.ModuleAsync()).InvokeVoidAsync("saveSetting", "runs.hiddenColumns", string.Join(',', _hidden));
    }

    private void Compare() => Navigation.NavigateTo($"/compare?ids={string.Join(',', _selected.Select(r => r.Id).Order())}");

    private async Task CancelAsync(RunSummary run)
    {
        if (await Actions.CancelAsync((await Auth).User, run.Id, run.Name)) await LoadAsync();
    }

    private async Task ResumeAsync(RunSummary run)
    {
        if (await Actions.ResumeAsync((await Auth).User, run.Id, run.Name)) await LoadAsync();
    }

    private async Task DeleteAsync(RunSummary run)
    {
        if (await Actions.DeleteAsync((await Auth).User, run.Id, run.Name)) await LoadAsync();
    }

    // The empty list's first step: the CPU demo queued as it is (about a minute on two cores), and its page opened.
    private async Task QueueDemoAsync()
    {
        var user = (await Auth).User;
        var request = new RunRequest(null, ["demo"], Presets.CpuDemo);
        if (Runs.Validate(request) is { Count: > 0 } errors)
        {
            Snackbar.Add(string.Join(" ", errors.Select(e => e.Value[0])), Severity.Warning);
            return;
        }
        if (Actions.OverBudget(user)) return;
        _busy = true;
        try
        {
            var run = await Runs.CreateAsync(request, user);
            Navigation.NavigateTo($"/runs/{run.Id}");
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task AddPaperRunsAsync()
    {
        _busy = true;
        try
        {
            if (!Imports.HasReferenceLogs())
            {
                Snackbar.Add(Imports.ReferenceLogsAdvice + " Then click again.", Severity.Warning, o => o.VisibleStateDuration = 12000);
                return;
            }
            var results = await Imports.ImportReferenceAsync((await Auth).User);
            var added = results.Count(r => !r.AlreadyImported);
            Snackbar.Add(added > 0 ? $"Added {added} of the paper's runs." : "The paper's runs are already here.", Severity.Success);
            foreach (var warning in results.SelectMany(r => r.Warnings)) Snackbar.Add(warning, Severity.Warning);
            await LoadAsync();
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            Snackbar.Add(e.Message, Severity.Error);
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task OpenImportAsync()
    {
        var dialog = await Dialogs.ShowAsync<ImportDialog>("Import TensorBoard logs");
        var result = await dialog.Result;
        if (result is { Canceled: false }) await LoadAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Changes.Changed -= OnRunChanged;
        if (_timer is not null) await _timer.DisposeAsync();
        if (_settings is not null) await _settings.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
