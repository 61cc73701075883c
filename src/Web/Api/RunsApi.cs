using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using ProCo.Data.Entities;
using ProCo.Training.Engine;
using ProCo.Web.Accounts;
using ProCo.Web.Hosting;
using ProCo.Web.Runs;

namespace ProCo.Web.Api;

/// <summary>The REST API of runs, metrics, vectors and checkpoints: thin handlers over <see cref="RunQueries"/> and <see cref="RunService"/>.</summary>
public static class RunsApi
{

    public static IEndpointRouteBuilder MapRunsApi(this IEndpointRouteBuilder app)
    {
        // Each endpoint needs the role of its action (Permissions): reading is for viewers.
        var runs = app.MapGroup("/api/runs").WithTags("Runs").RequireAuthorization(Permissions.Policy(StudioAction.Read));
        runs.MapPost("/", CreateAsync).WithSummary("Queue a run").RequireAuthorization(Permissions.Policy(StudioAction.Queue)).CountsAsAction();
        runs.MapGet("/", ListAsync).WithSummary("List runs (filter, sort, page)");
        runs.MapGet("/export.csv", ExportCsvAsync).WithSummary("All runs as CSV");
        runs.MapGet("/{id:long}", GetAsync).WithSummary("A run: config, status, best and last of each series");
        runs.MapPatch("/{id:long}", EditAsync).WithSummary("Edit name, tags or notes (Markdown), and dataset, imbalance factor or epochs of an imported run")
            .RequireAuthorization(Permissions.Policy(StudioAction.Edit)).CountsAsAction();
        runs.MapGet("/{id:long}/metrics", MetricsAsync)
            .WithSummary("Series values in a step range, min/max-downsampled to maxPoints per series (spikes survive)");
        runs.MapGet("/{id:long}/metrics.csv", MetricsCsvAsync)
            .WithSummary("Every stored point of the run's series (all, or those named), not downsampled: run_id,run,series,step,value");
        runs.MapGet("/{id:long}/vectors", VectorsAsync).WithSummary("Per-class vectors per epoch (kappa, kappa_test, accuracy, counts); maxEpochs keeps that many, evenly spread, first and last included");
        runs.MapGet("/{id:long}/events", EventsAsync).WithSummary("The run's log");
        runs.MapGet("/{id:long}/checkpoints", CheckpointsAsync).WithSummary("Checkpoints of a run");
        runs.MapPost("/{id:long}/cancel", CancelAsync).WithSummary("Cancel a queued or running run")
            .RequireAuthorization(Permissions.Policy(StudioAction.Cancel)).CountsAsAction();
        runs.MapPost("/{id:long}/resume", ResumeAsync).WithSummary("Resume a cancelled, failed or interrupted run from its last checkpoint")
            .RequireAuthorization(Permissions.Policy(StudioAction.Resume)).CountsAsAction();
        runs.MapDelete("/{id:long}", DeleteAsync).WithSummary("Delete a run with its metrics and files")
            .RequireAuthorization(Permissions.Policy(StudioAction.Delete)).CountsAsAction();
        var reference = app.MapGroup("/api").WithTags("Runs").RequireAuthorization(Permissions.Policy(StudioAction.Read));
        reference.MapGet("/presets", () => TypedResults.Ok(Presets.All)).WithSummary("Presets of the new-run form");
        reference.MapGet("/config", () => TypedResults.Ok(ConfigSchema.Fields.Select(ConfigFieldData.From).ToList()))
            .WithSummary("Every training configuration field: name, type, default, allowed range or choices, help and form group");
        reference.MapGet("/series", () => TypedResults.Ok(new SeriesTable(SeriesDisplay.Charts, SeriesDisplay.All, Series.SysElapsed, SeriesDisplay.Vectors)))
            .WithSummary("The series table: each series' label, unit, cadence (step or epoch), chart and direction, the series of wall time, and the per-class vector kinds");
        reference.MapGet("/compare", CompareAsync)
            .WithSummary("Runs side by side (?ids=3,5,8): their summaries, the configuration fields that differ, and the groups that differ only in seeds");
        reference.MapGet("/checkpoints/{id:long}/download", DownloadAsync).WithTags("Checkpoints")
            .WithSummary("Download a checkpoint (ETag = SHA-256, range requests)");
        reference.MapGet("/checkpoints/{id:long}/pytorch", PyTorchAsync).WithTags("Checkpoints")
            .WithSummary("A checkpoint's weights as a PyTorch state_dict (torch.load, then load_state_dict of the public code's model)");
        return app;
    }

    private static async Task<Results<Created<RunSummary>, ValidationProblem>> CreateAsync(RunRequest request, RunService service, ClaimsPrincipal user,
        CancellationToken ct)
    {
        var errors = service.Validate(request);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The run configuration is invalid.");
        var run = await service.CreateAsync(request, user, ct);
        return TypedResults.Created($"/api/runs/{run.Id}", RunSummary.From(run));
    }

    private static async Task<Results<Ok<RunPage>, ValidationProblem>> ListAsync(RunQueries queries, CancellationToken ct,
        string? status = null, string? dataset = null, string? method = null, string? tag = null, string? sort = null, int page = 1, int pageSize = 50)
    {
        var (errors, result) = await queries.ListAsync(new RunListQuery(status, dataset, method, tag, sort, page, pageSize), ct);
        return result is null ? TypedResults.ValidationProblem(errors) : TypedResults.Ok(result);
    }

    private static async Task<Results<Ok<RunDetail>, NotFound>> GetAsync(long id, RunQueries queries, CancellationToken ct) =>
        await queries.DetailAsync(id, ct) is { } detail ? TypedResults.Ok(detail) : TypedResults.NotFound();

    private static async Task<Results<Ok<RunSummary>, NotFound, ValidationProblem>> EditAsync(long id, RunPatch patch, RunService service, ClaimsPrincipal user,
        CancellationToken ct)
    {
        var (error, errors, run) = await service.EditAsync(id, patch, user, ct);
        return error switch
        {
            RunActionError.None => TypedResults.Ok(run!),
            RunActionError.NotFound => TypedResults.NotFound(),
            _ => TypedResults.ValidationProblem(errors),
        };
    }

    private static async Task<Results<Ok<IReadOnlyList<SeriesData>>, NotFound, ValidationProblem>> MetricsAsync(long id, RunQueries queries, CancellationToken ct,
        string? series = null, int maxPoints = 2000, long? afterStep = null, long? fromStep = null, long? toStep = null)
    {
        if (maxPoints is < 4 or > 1_000_000)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["maxPoints"] = ["Between 4 and 1000000."] });
        var names = series?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var data = await queries.MetricsAsync(id, new MetricsQuery(names, maxPoints, afterStep, fromStep, toStep), ct);
        return data is null ? TypedResults.NotFound() : TypedResults.Ok(data);
    }

    private static async Task<IResult> MetricsCsvAsync(long id, RunQueries queries, CancellationToken ct, string? series = null)
    {
        if (!await queries.ExistsAsync(id, ct)) return TypedResults.NotFound();
        var names = series?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return TypedResults.Stream(output => queries.MetricsCsvAsync(id, names, output, ct), "text/csv; charset=utf-8", $"run{id}-metrics.csv");
    }

    private static async Task<Results<Ok<IReadOnlyList<EpochVectorData>>, NotFound, ValidationProblem>> VectorsAsync(
        long id, string? kind, RunQueries queries, CancellationToken ct, int? afterEpoch = null, bool latest = false, int? maxEpochs = null)
    {
        if (kind is null || !VectorKinds.All.Contains(kind))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["kind"] = [$"'{kind}' is not a vector kind: {string.Join(", ", VectorKinds.All.SkipLast(1))} or {VectorKinds.All[^1]}."],
            });
        if (maxEpochs is < 2 or > 100_000)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["maxEpochs"] = ["Between 2 and 100000 (the first and the last epoch are always kept)."] });
        var data = await queries.VectorsAsync(id, kind, afterEpoch, latest, maxEpochs, ct);
        return data is null ? TypedResults.NotFound() : TypedResults.Ok(data);
    }

    private static async Task<Results<Ok<IReadOnlyList<RunEvent>>, NotFound>> EventsAsync(long id, RunQueries queries, CancellationToken ct) =>
        await queries.EventsAsync(id, null, ct) is { } events ? TypedResults.Ok(events) : TypedResults.NotFound();

    private static async Task<Results<Ok<IReadOnlyList<CheckpointData>>, NotFound>> CheckpointsAsync(long id, RunQueries queries, CancellationToken ct) =>
        await queries.CheckpointsAsync(id, ct: ct) is { } checkpoints ? TypedResults.Ok(checkpoints) : TypedResults.NotFound();

    private static async Task<IResult> CancelAsync(long id, RunService service, ClaimsPrincipal user, CancellationToken ct) =>
        ToResult(id, await service.CancelAsync(id, user, ct));

    private static async Task<IResult> ResumeAsync(long id, RunService service, ClaimsPrincipal user, CancellationToken ct) =>
        ToResult(id, await service.ResumeAsync(id, user, ct));

    private static async Task<IResult> DeleteAsync(long id, RunService service, ClaimsPrincipal user, CancellationToken ct) =>
        ToResult(id, await service.DeleteAsync(id, user, ct));

    private static IResult ToResult(long id, (RunActionError Error, string Message) outcome) => outcome.Error switch
    {
        RunActionError.None => TypedResults.Ok(new ActionResult(id, outcome.Message)),
        RunActionError.NotFound => TypedResults.Problem(outcome.Message, statusCode: StatusCodes.Status404NotFound),
        RunActionError.Forbidden => TypedResults.Problem(outcome.Message, statusCode: StatusCodes.Status403Forbidden),
        _ => TypedResults.Problem(outcome.Message, statusCode: StatusCodes.Status409Conflict),
    };

    private static async Task<IResult> DownloadAsync(long id, RunQueries queries, CancellationToken ct)
    {
        if (await queries.CheckpointFileAsync(id, ct) is not { } file) return TypedResults.NotFound();
        var (checkpoint, path) = file;
        return TypedResults.PhysicalFile(path, "application/octet-stream", $"run{checkpoint.RunId}-{checkpoint.Kind}-epoch{checkpoint.Epoch}.ckpt",
            entityTag: new EntityTagHeaderValue($"\"{checkpoint.Sha256}\""), enableRangeProcessing: true);
    }

    private static async Task<IResult> PyTorchAsync(long id, RunQueries queries, CancellationToken ct)
    {
        if (await queries.CheckpointFileAsync(id, ct) is not { } file) return TypedResults.NotFound();
        var (checkpoint, path) = file;
        var buffer = new MemoryStream();
        ProCo.Training.Models.PyTorchWeights.FromCheckpoint(path, buffer);
        buffer.Position = 0;
        return TypedResults.File(buffer, "application/octet-stream", $"run{checkpoint.RunId}-{checkpoint.Kind}-epoch{checkpoint.Epoch}.pt");
    }

    private static async Task<Results<Ok<RunComparison>, ValidationProblem>> CompareAsync(string? ids, RunQueries queries, CancellationToken ct)
    {
        var parts = (ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var parsed = parts.Select(p => long.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) && id > 0 ? id : (long?)null).ToList();
        if (parts.Length == 0 || parsed.Any(id => id is null))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["ids"] = [$"ids lists run ids separated by commas, e.g. ?ids=3,5,8{(parts.Length == 0 ? "" : $"; '{parts[parsed.FindIndex(id => id is null)]}' is not one")}."],
            });
        return TypedResults.Ok(await queries.CompareAsync([.. parsed.Select(id => id!.Value).Distinct()], ct));
    }

    private static async Task<IResult> ExportCsvAsync(RunQueries queries, CancellationToken ct) =>
        TypedResults.Text(await queries.CsvAsync(ct), "text/csv; charset=utf-8");
}

/// <summary>The series table as served, with the series that times a run (the charts' wall-time axis) and the per-class vector kinds.</summary>
public sealed record SeriesTable(IReadOnlyList<ChartInfo> Charts, IReadOnlyList<SeriesView> Series, string Elapsed, IReadOnlyList<VectorView> Vectors);

/// <summary>One configuration field as served by <c>/api/config</c>.</summary>
public sealed record ConfigFieldData(string Name, string Option, string Group, string Label, string Help, string Kind, bool Nullable,
    object? Default, double? Min, double? Max, bool MinExclusive, bool MaxExclusive, IReadOnlyList<ConfigChoice> Choices, string? EmptyMeans,
    bool ReciprocalAboveOne, string Description)
{
    public static ConfigFieldData From(ConfigField f) => new(f.Name, f.Option, f.Group, f.Label, f.Help, f.Kind.ToString().ToLowerInvariant(), f.IsNullable,
        f.Default, f.Min, f.Max, f.MinExclusive, f.MaxExclusive, f.Choices, f.EmptyMeans, f.ReciprocalAboveOne, f.Describe());
}
