using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;
using ProCo.Web.Runs;

namespace ProCo.Web.Api;

/// <summary>The REST API of runs, metrics, vectors and checkpoints.</summary>
public static class RunsApi
{
    public static IEndpointRouteBuilder MapRunsApi(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/api/runs").WithTags("Runs");
        runs.MapPost("/", CreateAsync).WithSummary("Queue a run");
        runs.MapGet("/", ListAsync).WithSummary("List runs (filter, sort, page)");
        runs.MapGet("/export.csv", ExportCsvAsync).WithSummary("All runs as CSV");
        runs.MapGet("/{id:long}", GetAsync).WithSummary("A run: config, status, best and last of each series");
        runs.MapGet("/{id:long}/metrics", MetricsAsync).WithSummary("Series values, min/max-downsampled to maxPoints");
        runs.MapGet("/{id:long}/vectors", VectorsAsync).WithSummary("Per-class vectors per epoch (kappa, kappa_test, accuracy, counts)");
        runs.MapGet("/{id:long}/events", EventsAsync).WithSummary("The run's log");
        runs.MapGet("/{id:long}/checkpoints", CheckpointsAsync).WithSummary("Checkpoints of a run");
        runs.MapPost("/{id:long}/cancel", CancelAsync).WithSummary("Cancel a queued or running run");
        runs.MapPost("/{id:long}/resume", ResumeAsync).WithSummary("Resume a cancelled, failed or interrupted run from its last checkpoint");
        runs.MapDelete("/{id:long}", DeleteAsync).WithSummary("Delete a run with its metrics and files");
        app.MapGet("/api/presets", () => TypedResults.Ok(Presets.All)).WithTags("Runs").WithSummary("Presets of the new-run form");
        app.MapGet("/api/checkpoints/{id:long}/download", DownloadAsync).WithTags("Checkpoints")
            .WithSummary("Download a checkpoint (ETag = SHA-256, range requests)");
        return app;
    }

    private static async Task<Results<Created<RunSummary>, ValidationProblem>> CreateAsync(RunRequest request, RunService service, CancellationToken ct)
    {
        var errors = RunService.Validate(request);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The run configuration is invalid.");
        var run = await service.CreateAsync(request, ct);
        return TypedResults.Created($"/api/runs/{run.Id}", RunSummary.From(run));
    }

    private static async Task<Results<Ok<RunPage>, ValidationProblem>> ListAsync(IDbContextFactory<ProCoDbContext> factory, CancellationToken ct,
        string? status = null, string? dataset = null, string? method = null, string? tag = null, string? sort = null, int page = 1, int pageSize = 50)
    {
        var errors = new Dictionary<string, string[]>();
        RunStatus? wanted = null;
        if (status is not null)
        {
            if (Enum.TryParse<RunStatus>(status, ignoreCase: true, out var parsed)) wanted = parsed;
            else errors["status"] = [$"One of {string.Join(", ", Enum.GetNames<RunStatus>())}."];
        }
        if (page < 1) errors["page"] = ["Pages start at 1."];
        if (pageSize is < 1 or > 500) errors["pageSize"] = ["Between 1 and 500."];
        var sortKey = (sort ?? "-created").Trim();
        string[] sorts = ["created", "-created", "name", "-name", "bestTop1", "-bestTop1", "status", "-status", "dataset", "-dataset"];
        if (!sorts.Contains(sortKey)) errors["sort"] = [$"One of {string.Join(", ", sorts)}."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        await using var db = await factory.CreateDbContextAsync(ct);
        var query = db.Runs.AsNoTracking();
        if (wanted is { } s) query = query.Where(r => r.Status == s);
        if (dataset is not null) query = query.Where(r => r.Dataset == dataset);
        if (method is not null) query = query.Where(r => r.Method == method);
        if (tag is not null) query = query.Where(r => ("," + r.Tags + ",").Contains("," + tag + ","));
        query = sortKey switch
        {
            "created" => query.OrderBy(r => r.CreatedAt).ThenBy(r => r.Id),
            "name" => query.OrderBy(r => r.Name).ThenBy(r => r.Id),
            "-name" => query.OrderByDescending(r => r.Name).ThenBy(r => r.Id),
            "bestTop1" => query.OrderBy(r => r.BestTop1).ThenBy(r => r.Id),
            "-bestTop1" => query.OrderByDescending(r => r.BestTop1).ThenBy(r => r.Id),
            "status" => query.OrderBy(r => r.Status).ThenBy(r => r.Id),
            "-status" => query.OrderByDescending(r => r.Status).ThenBy(r => r.Id),
            "dataset" => query.OrderBy(r => r.Dataset).ThenBy(r => r.Id),
            "-dataset" => query.OrderByDescending(r => r.Dataset).ThenBy(r => r.Id),
            _ => query.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id),
        };
        var total = await query.CountAsync(ct);
        var items = await query.Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(ct);
        return TypedResults.Ok(new RunPage(total, page, pageSize, items.Select(RunSummary.From).ToList()));
    }

    private static async Task<Results<Ok<RunDetail>, NotFound>> GetAsync(long id, IDbContextFactory<ProCoDbContext> factory, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);
        if (run is null) return TypedResults.NotFound();
        return TypedResults.Ok(new RunDetail(RunSummary.From(run), TryConfig(run.ConfigJson), run.ConfigJson,
            await SeriesSummariesAsync(db, id, ct), run.Worker, run.Attempts, run.StepsPerEpoch, DatasetLoader.ClassNames(run.Dataset)));
    }

    /// <summary>Best (max for accuracies, min otherwise) and last of every series of a run.</summary>
    public static async Task<IReadOnlyList<SeriesSummary>> SeriesSummariesAsync(ProCoDbContext db, long runId, CancellationToken ct)
    {
        var groups = await db.MetricPoints.AsNoTracking().Where(p => p.RunId == runId)
            .GroupBy(p => p.Series)
            .Select(g => new { Series = g.Key, Count = g.LongCount(), LastStep = g.Max(p => p.Step), Max = g.Max(p => (double?)p.Value), Min = g.Min(p => (double?)p.Value) })
            .ToListAsync(ct);
        var result = new List<SeriesSummary>();
        foreach (var g in groups.OrderBy(g => g.Series, StringComparer.Ordinal))
        {
            var last = await db.MetricPoints.AsNoTracking().Where(p => p.RunId == runId && p.Series == g.Series && p.Step == g.LastStep)
                .Select(p => (double?)p.Value).FirstOrDefaultAsync(ct);
            var higherIsBetter = g.Series.StartsWith("acc", StringComparison.Ordinal);
            result.Add(new SeriesSummary(g.Series, g.Count, g.LastStep, last, higherIsBetter ? g.Max : g.Min));
        }
        return result;
    }

    private static async Task<Results<Ok<IReadOnlyList<SeriesData>>, NotFound, ValidationProblem>> MetricsAsync(
        long id, IDbContextFactory<ProCoDbContext> factory, CancellationToken ct, string? series = null, int maxPoints = 2000, long? afterStep = null)
    {
        if (maxPoints is < 4 or > 1_000_000)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["maxPoints"] = ["Between 4 and 1000000."] });
        await using var db = await factory.CreateDbContextAsync(ct);
        if (!await db.Runs.AnyAsync(r => r.Id == id, ct)) return TypedResults.NotFound();
        var names = series?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    ?? await db.MetricPoints.Where(p => p.RunId == id).Select(p => p.Series).Distinct().ToArrayAsync(ct);
        var result = new List<SeriesData>();
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            var query = db.MetricPoints.AsNoTracking().Where(p => p.RunId == id && p.Series == name);
            if (afterStep is { } after) query = query.Where(p => p.Step > after);
            var points = await query.OrderBy(p => p.Step).Select(p => new { p.Step, p.Value }).ToListAsync(ct);
            var (steps, values) = Downsampling.MinMax(points.Select(p => p.Step).ToList(), points.Select(p => p.Value).ToList(), maxPoints);
            result.Add(new SeriesData(name, points.Count, steps, values.Select(v => double.IsFinite(v) ? v : (double?)null).ToArray()));
        }
        return TypedResults.Ok<IReadOnlyList<SeriesData>>(result);
    }

    private static async Task<Results<Ok<IReadOnlyList<EpochVectorData>>, NotFound, ValidationProblem>> VectorsAsync(
        long id, string? kind, IDbContextFactory<ProCoDbContext> factory, CancellationToken ct)
    {
        if (kind is not (VectorKinds.Kappa or VectorKinds.TestKappa or VectorKinds.Accuracy or VectorKinds.ClassCounts))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["kind"] = [$"'{kind}' is not a vector kind: kappa, kappa_test, accuracy or counts."],
            });
        await using var db = await factory.CreateDbContextAsync(ct);
        if (!await db.Runs.AnyAsync(r => r.Id == id, ct)) return TypedResults.NotFound();
        var rows = await db.EpochVectors.AsNoTracking().Where(v => v.RunId == id && v.Kind == kind).OrderBy(v => v.Epoch).ToListAsync(ct);
        return TypedResults.Ok<IReadOnlyList<EpochVectorData>>(rows
            .Select(v => new EpochVectorData(v.Epoch, JsonSerializer.Deserialize<double[]>(v.ValuesJson) ?? [])).ToList());
    }

    private static async Task<Results<Ok<IReadOnlyList<RunEvent>>, NotFound>> EventsAsync(long id, IDbContextFactory<ProCoDbContext> factory, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        if (!await db.Runs.AnyAsync(r => r.Id == id, ct)) return TypedResults.NotFound();
        return TypedResults.Ok<IReadOnlyList<RunEvent>>(await db.RunEvents.AsNoTracking().Where(e => e.RunId == id).OrderBy(e => e.At).ThenBy(e => e.Id).ToListAsync(ct));
    }

    private static async Task<Results<Ok<IReadOnlyList<CheckpointData>>, NotFound>> CheckpointsAsync(long id, IDbContextFactory<ProCoDbContext> factory, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        if (!await db.Runs.AnyAsync(r => r.Id == id, ct)) return TypedResults.NotFound();
        var rows = await db.Checkpoints.AsNoTracking().Where(c => c.RunId == id).OrderBy(c => c.Kind).ToListAsync(ct);
        return TypedResults.Ok<IReadOnlyList<CheckpointData>>(rows.Select(CheckpointData.From).ToList());
    }

    private static async Task<IResult> CancelAsync(long id, RunService service, CancellationToken ct) => ToResult(id, await service.CancelAsync(id, ct));
    private static async Task<IResult> ResumeAsync(long id, RunService service, CancellationToken ct) => ToResult(id, await service.ResumeAsync(id, ct));
    private static async Task<IResult> DeleteAsync(long id, RunService service, CancellationToken ct) => ToResult(id, await service.DeleteAsync(id, ct));

    private static IResult ToResult(long id, (RunActionError Error, string Message) outcome) => outcome.Error switch
    {
        RunActionError.None => TypedResults.Ok(new ActionResult(id, outcome.Message)),
        RunActionError.NotFound => TypedResults.Problem(outcome.Message, statusCode: StatusCodes.Status404NotFound),
        _ => TypedResults.Problem(outcome.Message, statusCode: StatusCodes.Status409Conflict),
    };

    // Resolved by id to a path the server stored, inside the data folder; nothing in the request names a path.
    private static async Task<IResult> DownloadAsync(long id, IDbContextFactory<ProCoDbContext> factory, RunFolders folders, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var checkpoint = await db.Checkpoints.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, ct);
        if (checkpoint is null) return TypedResults.NotFound();
        var path = folders.ResolveInside(checkpoint.RelativePath);
        if (path is null) return TypedResults.NotFound();
        return TypedResults.PhysicalFile(path, "application/octet-stream", $"run{checkpoint.RunId}-{checkpoint.Kind}-epoch{checkpoint.Epoch}.ckpt",
            entityTag: new EntityTagHeaderValue($"\"{checkpoint.Sha256}\""), enableRangeProcessing: true);
    }

    private static async Task<IResult> ExportCsvAsync(IDbContextFactory<ProCoDbContext> factory, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var runs = await db.Runs.AsNoTracking().OrderBy(r => r.Id).ToListAsync(ct);
        var csv = new StringBuilder("id,name,status,method,dataset,imbalance_factor,epochs,completed_epochs,best_top1,last_top1,last_many,last_medium,last_few,tags,imported,created_at,finished_at\n");
        foreach (var r in runs)
        {
            csv.AppendLine(string.Join(',',
                r.Id.ToString(CultureInfo.InvariantCulture), Csv(r.Name), r.Status, r.Method, r.Dataset, Num(r.ImbalanceFactor),
                r.Epochs.ToString(CultureInfo.InvariantCulture), r.CompletedEpochs.ToString(CultureInfo.InvariantCulture),
                Num(r.BestTop1), Num(r.LastTop1), Num(r.LastMany), Num(r.LastMedium), Num(r.LastFew), Csv(r.Tags),
                r.IsImported ? "true" : "false", r.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
                r.FinishedAt?.ToString("O", CultureInfo.InvariantCulture) ?? ""));
        }
        return TypedResults.Text(csv.ToString(), "text/csv; charset=utf-8");
    }

    private static string Num(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "";

    private static string Csv(string text) =>
        text.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;

    private static TrainingConfig? TryConfig(string json)
    {
        try
        {
            return TrainingConfig.FromJson(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
