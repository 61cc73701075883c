using System.Security.Claims;
using Hangfire;
using Hangfire.States;
using Microsoft.EntityFrameworkCore;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;
using ProCo.Web.Accounts;
using ProCo.Web.Live;

namespace ProCo.Web.Runs;

/// <summary>A run to create: a name, tags and the training configuration.</summary>
public sealed record RunRequest(string? Name, IReadOnlyList<string>? Tags, TrainingConfig? Config);

/// <summary>Why an action on a run did not happen (maps to an HTTP status).</summary>
public enum RunActionError
{
    None,
    NotFound,
    Conflict,
    Invalid,
    Forbidden,
}

/// <summary>
/// Queueing, editing, cancelling, resuming and deleting runs: the commands the pages, the API and
/// the CLI share, each validated here once. Each takes the person acting: their role is checked
/// against <see cref="Permissions"/> and their name recorded in the run's events.
/// </summary>
public sealed class RunService(
    IDbContextFactory<ProCoDbContext> factory,
    IBackgroundJobClient jobs,
    ActiveRuns active,
    RunFolders folders,
    IRunPublisher publisher,
    DataPaths paths,
    TrainingLimits limits,
    WeightsLibrary weights,
    ILogger<RunService> logger)
{
    /// <summary>Longest run name.</summary>
    public const int MaxNameLength = 200;

    /// <summary>Longest tag.</summary>
    public const int MaxTagLength = 50;

    /// <summary>Most tags a run carries.</summary>
    public const int MaxTags = 20;

    /// <summary>
    /// A run name (trimmed, as it is stored) of at most <see cref="MaxNameLength"/> characters, without control or
    /// text-direction characters (<see cref="HasHiddenCharacters"/>).
    /// </summary>
    public static bool IsValidName(string name) => name.Trim().Length <= MaxNameLength && !HasHiddenCharacters(name);

    /// <summary>
    /// True when <paramref name="text"/> holds a control character (line breaks and tabs included) or a Unicode
    /// text-direction mark, embedding, override or isolate: characters that make a name read differently from what it
    /// is (a name that shows "exe.txt" but sorts and compares as "txt.exe").
    /// </summary>
    public static bool HasHiddenCharacters(string text) => text.Any(c => char.IsControl(c) || c is '\u061C' or '\u200E' or '\u200F'
        or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069'));

    /// <summary>Notes as a run keeps them: line ends as \n, whatever the browser sent.</summary>
    public static string StoredNotes(string notes) => notes.Replace("\r\n", "\n", StringComparison.Ordinal);

    /// <summary>
    /// A tag: a non-empty word of at most <see cref="MaxTagLength"/> characters, without commas (tags are stored
    /// comma-separated) or hidden characters.
    /// </summary>
    public static bool IsValidTag(string tag) =>
        !string.IsNullOrWhiteSpace(tag) && !tag.Contains(',', StringComparison.Ordinal) && tag.Trim().Length <= MaxTagLength && !HasHiddenCharacters(tag);

    /// <summary>Field errors of a request, keyed by the JSON field name; empty when it is valid and within this server's limits.</summary>
    public Dictionary<string, string[]> Validate(RunRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Config is null)
        {
            errors["config"] = ["A training configuration is required."];
        }
        else
        {
            foreach (var (field, message) in request.Config.Validate())
                errors[$"config.{ConfigSchema.Get(field).Name}"] = [message];
            var datasetKey = $"config.{ConfigSchema.Get(nameof(TrainingConfig.Dataset)).Name}";
            if (!errors.ContainsKey(datasetKey) && limits.UnknownDataset(request.Config.Dataset) is { } unknown) errors[datasetKey] = [unknown];
            if (errors.Count == 0)
            {
                foreach (var (field, messages) in limits.Check(request.Config.Validated()))
                    errors[$"config.{field}"] = messages;
                if (weights.Check(request.Config) is { } problem)
                    errors[$"config.{ConfigSchema.Get(nameof(TrainingConfig.InitFrom)).Name}"] = [problem];
            }
        }
        ValidateMetadata(request.Name, request.Tags, nameRequired: false, errors);
        return errors;
    }

    /// <summary>Name and tags, the same on create and on edit.</summary>
    private static void ValidateMetadata(string? name, IReadOnlyList<string>? tags, bool nameRequired, Dictionary<string, string[]> errors)
    {
        if (name is not null && (!IsValidName(name) || (nameRequired && string.IsNullOrWhiteSpace(name))))
            errors["name"] = [$"A name of {(nameRequired ? 1 : 0)} to {MaxNameLength} characters, without control or text-direction characters."];
        if (tags is not null && tags.Count > MaxTags)
            errors["tags"] = [$"At most {MaxTags} tags a run ({tags.Count} given)."];
        else if (tags is not null && !tags.All(IsValidTag))
            errors["tags"] = [$"Tags are non-empty words of at most {MaxTagLength} characters, without commas, control or text-direction characters."];
    }

    /// <summary>Stores a queued run and enqueues its job. The request must be valid and <paramref name="by"/> allowed to queue.</summary>
    public async Task<Run> CreateAsync(RunRequest request, ClaimsPrincipal by, CancellationToken cancellationToken = default)
    {
        if (!Permissions.Allows(by, StudioAction.Queue)) throw new UnauthorizedAccessException(Permissions.Refusal(by, StudioAction.Queue));
        var run = NewRun(request.Config!.Validated(), request.Name, request.Tags);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        db.Runs.Add(run);
        await db.SaveChangesAsync(cancellationToken);
        db.RunEvents.Add(Event(run.Id, by, "Queued."));
        await db.SaveChangesAsync(cancellationToken);
        await EnqueueStoredAsync(db, run, cancellationToken);
        publisher.Run(RunMessages.From(run));
        return run;
    }

    /// <summary>The row of a new queued run (not stored yet): its name (the default one when none is given), tags and configuration.</summary>
    public static Run NewRun(TrainingConfig config, string? name, IReadOnlyList<string>? tags) => new()
    {
        Name = string.IsNullOrWhiteSpace(name) ? DefaultName(config) : name.Trim(),
        Method = config.Method,
        Dataset = config.Dataset,
        ImbalanceFactor = config.ImbalanceFactor,
        Epochs = config.Epochs,
        ConfigJson = config.ToJson(),
        Tags = string.Join(',', (tags ?? []).Select(t => t.Trim())),
        Status = RunStatus.Queued,
        Queue = JobQueues.For(config),
        CreatedAt = DateTimeOffset.UtcNow,
    };

    /// <summary>Enqueues the job of a stored queued run and records it on the run (in <paramref name="run"/> too).</summary>
    public async Task EnqueueStoredAsync(ProCoDbContext db, Run run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        run.JobId = Enqueue(run.Id, run.Queue);
        await RunTransitions.SetJobAsync(db, run.Id, null, anyJob: true, run.JobId, run.Queue, cancellationToken);
    }

    /// <summary>e.g. "proco cifar100-LT 100 (200 ep)".</summary>
    public static string DefaultName(TrainingConfig config) =>
        $"{config.Method} {config.Dataset}-LT {1 / config.ImbalanceFactor:0.##} ({config.Epochs} ep)";

    /// <summary>Enqueues the job of a run on its queue.</summary>
    public string Enqueue(long runId, string queue) =>
        jobs.Create<TrainingJob>(job => job.Run(runId, null, CancellationToken.None), new EnqueuedState(queue));

    /// <summary>
    /// Edits name, tags and notes of any run, and dataset, imbalance factor and epochs of an imported one
    /// (what a trained run was trained with is fixed). Field errors come back keyed by JSON name.
    /// </summary>
    public async Task<(RunActionError Error, Dictionary<string, string[]> Errors, RunSummary? Run)> EditAsync(long id, RunPatch patch,
        ClaimsPrincipal by, CancellationToken cancellationToken = default)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Permissions.Allows(by, StudioAction.Edit))
            return (RunActionError.Forbidden, new Dictionary<string, string[]> { [""] = [Permissions.Refusal(by, StudioAction.Edit)] }, null);
        string? dataset = null;
        if (patch.Dataset is not null)
        {
            try { dataset = DatasetCatalog.NormalizeKey(patch.Dataset); }
            catch (ArgumentException e) { errors["dataset"] = [e.Message]; }
        }
        // The same ranges as a new run's configuration.
        foreach (var (name, value) in new (string, object?)[] { (nameof(TrainingConfig.ImbalanceFactor), patch.ImbalanceFactor), (nameof(TrainingConfig.Epochs), patch.Epochs) })
        {
            var field = ConfigSchema.Get(name);
            if (value is not null && field.Check(value) is { } message) errors[field.Name] = [message];
        }
        ValidateMetadata(patch.Name, patch.Tags, nameRequired: true, errors);
        if (patch.Notes is { Length: > Run.MaxNotesLength }) errors["notes"] = [$"Notes of at most {Run.MaxNotesLength:N0} characters ({patch.Notes.Length:N0} given)."];
        if (errors.Count > 0) return (RunActionError.Invalid, errors, null);

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (run is null) return (RunActionError.NotFound, errors, null);
        if (!run.IsImported && (dataset is not null || patch.ImbalanceFactor is not null || patch.Epochs is not null))
        {
            errors["dataset"] = ["Dataset, imbalance factor and epochs of a trained run come from its configuration; only imported runs can be edited."];
            return (RunActionError.Invalid, errors, null);
        }
        if (patch.Name is not null) run.Name = patch.Name.Trim();
        if (patch.Tags is not null) run.Tags = string.Join(',', patch.Tags.Select(t => t.Trim()));
        if (dataset is not null) run.Dataset = dataset;
        if (patch.ImbalanceFactor is { } imbalance) run.ImbalanceFactor = imbalance;
        if (patch.Epochs is { } epochs) run.Epochs = epochs;
        if (patch.Notes is not null) run.Notes = StoredNotes(patch.Notes);
        var changed = new (string Field, bool Set)[]
        {
            ("name", patch.Name is not null), ("tags", patch.Tags is not null), ("dataset", dataset is not null),
            ("imbalance factor", patch.ImbalanceFactor is not null), ("epochs", patch.Epochs is not null), ("notes", patch.Notes is not null),
        }.Where(c => c.Set).Select(c => c.Field).ToList();
        if (changed.Count > 0) db.RunEvents.Add(Event(run.Id, by, $"Edited: {string.Join(", ", changed)}."));
        await db.SaveChangesAsync(cancellationToken);
        publisher.Run(RunMessages.From(run));
        return (RunActionError.None, errors, RunSummary.From(run));
    }

    /// <summary>
    /// A queued or interrupted run is cancelled at once; a running one is asked to stop (it writes a
    /// checkpoint at its next step and becomes Cancelled).
    /// </summary>
    public async Task<(RunActionError Error, string Message)> CancelAsync(long runId, ClaimsPrincipal by, CancellationToken cancellationToken = default)
    {
        if (!Permissions.Allows(by, StudioAction.Cancel)) return (RunActionError.Forbidden, Permissions.Refusal(by, StudioAction.Cancel));
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
        if (run is null) return (RunActionError.NotFound, $"Run {runId} does not exist.");
        if (run.IsImported) return (RunActionError.Conflict, "Imported runs are read-only.");
        if (!run.Status.CanCancel(run.IsImported))
            return (RunActionError.Conflict, $"Run {runId} is {run.Status}; only queued, running or interrupted runs can be cancelled.");
        if (run.Status == RunStatus.Running && await RunTransitions.RequestCancelAsync(db, runId, cancellationToken))
        {
            await RecordAsync(db, runId, by, "Cancel requested.", cancellationToken);
            active.TryCancel(runId);
            return (RunActionError.None, "Stopping at the next step; a checkpoint will be written.");
        }
        if (!await RunTransitions.CancelAsync(db, runId, DateTimeOffset.UtcNow, cancellationToken))
            return await CancelAsync(runId, by, cancellationToken); // it started or stopped meanwhile
        await RecordAsync(db, runId, by, "Cancelled before it started.", cancellationToken);
        if (run.JobId is not null) jobs.Delete(run.JobId);
        await AnnounceAsync(runId, cancellationToken);
        return (RunActionError.None, "Cancelled before it started.");
    }

    /// <summary>Queues a cancelled, failed or interrupted run again; it resumes from its last checkpoint.</summary>
    public async Task<(RunActionError Error, string Message)> ResumeAsync(long runId, ClaimsPrincipal by, CancellationToken cancellationToken = default)
    {
        if (!Permissions.Allows(by, StudioAction.Resume)) return (RunActionError.Forbidden, Permissions.Refusal(by, StudioAction.Resume));
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
        if (run is null) return (RunActionError.NotFound, $"Run {runId} does not exist.");
        if (run.IsImported) return (RunActionError.Conflict, "Imported runs are read-only.");
        if (run.Status == RunStatus.Succeeded)
            return (RunActionError.Conflict, $"Run {runId} already finished all {run.Epochs} epochs; clone it to train another run.");
        if (!run.Status.CanResume(run.IsImported))
            return (RunActionError.Conflict, $"Run {runId} is {run.Status}; only cancelled, failed or interrupted runs can be resumed.");
        if (!await RunTransitions.ResumeAsync(db, runId, cancellationToken)) return (RunActionError.Conflict, "The run changed meanwhile; try again.");
        await RecordAsync(db, runId, by, "Resumed: queued again.", cancellationToken);
        var queue = JobQueues.Of(run.ConfigJson);
        await RunTransitions.SetJobAsync(db, runId, null, anyJob: true, Enqueue(runId, queue), queue, cancellationToken);
        await AnnounceAsync(runId, cancellationToken);
        return (RunActionError.None, "Queued; it resumes from its last checkpoint.");
    }

    /// <summary>Deletes a run that is not training, with its metrics and files.</summary>
    public async Task<(RunActionError Error, string Message)> DeleteAsync(long runId, ClaimsPrincipal by, CancellationToken cancellationToken = default)
    {
        if (!Permissions.Allows(by, StudioAction.Delete)) return (RunActionError.Forbidden, Permissions.Refusal(by, StudioAction.Delete));
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
        if (run is null) return (RunActionError.NotFound, $"Run {runId} does not exist.");
        if (!run.Status.CanDelete()) return (RunActionError.Conflict, $"Run {runId} is training; cancel it first.");
        if (run.JobId is not null) jobs.Delete(run.JobId);
        await MetricStore.DeleteRunAsync(db, runId, cancellationToken);
        var folder = folders.For(runId);
        if (Directory.Exists(folder) && folder.StartsWith(paths.RunsDir, StringComparison.Ordinal)) Directory.Delete(folder, recursive: true);
        logger.LogInformation("Run {RunId} ({Name}) deleted by {User}", runId, run.Name, Permissions.NameOf(by));
        return (RunActionError.None, $"Run {runId} deleted.");
    }

    /// <summary>An event of a person's action on a run.</summary>
    public static RunEvent Event(long runId, ClaimsPrincipal by, string message) =>
        new() { RunId = runId, At = DateTimeOffset.UtcNow, Level = RunEventLevel.Info.Word(), Message = message, User = Permissions.NameOf(by) };

    private static async Task RecordAsync(ProCoDbContext db, long runId, ClaimsPrincipal by, string message, CancellationToken cancellationToken)
    {
        db.RunEvents.Add(Event(runId, by, message));
        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task AnnounceAsync(long runId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
        if (run is not null) publisher.Run(RunMessages.From(run));
    }
}
