using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Data.TensorBoard;
using ProCo.Training.Datasets;
using ProCo.Web.Hosting;
using ProCo.Web.Live;
using ProCo.Web.Runs;

namespace ProCo.Web.Api;

/// <summary>Metadata of a run that may change after the fact (imported runs take theirs from folder names).</summary>
public sealed record RunPatch(string? Name, IReadOnlyList<string>? Tags, string? Dataset, double? ImbalanceFactor, int? Epochs);

/// <summary>TensorBoard import (upload, the paper's runs) and export, and metadata edits.</summary>
public static class ImportApi
{
    /// <summary>Upload limit: TensorBoard scalar logs are small; this keeps a stray upload from filling the disk.</summary>
    public const long MaxUploadBytes = 256L << 20;

    public static IEndpointRouteBuilder MapImportApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api").WithTags("TensorBoard");
        group.MapPost("/import", UploadAsync).DisableAntiforgery().WithSummary("Import uploaded TensorBoard event files (one run per folder)");
        group.MapPost("/import/reference", ReferenceAsync).WithSummary("Import the paper authors' runs from the reference-logs folder");
        group.MapGet("/runs/{id:long}/export/tensorboard", ExportAsync).WithSummary("A run's series as a TensorBoard event file");
        app.MapPatch("/api/runs/{id:long}", PatchAsync).WithTags("Runs").WithSummary("Edit name, tags, dataset, imbalance factor or epochs");
        return app;
    }

    /// <summary>Imports every run folder under <paramref name="path"/>.</summary>
    public static async Task<IReadOnlyList<ImportResult>> ImportFoldersAsync(IDbContextFactory<ProCoDbContext> factory, string path, string? name,
        string? tag, RunBroadcaster? broadcaster, CancellationToken ct)
    {
        var folders = TensorBoardImporter.RunFolders(path);
        var results = new List<ImportResult>();
        foreach (var folder in folders)
        {
            await using var db = await factory.CreateDbContextAsync(ct);
            var result = await TensorBoardImporter.ImportRunAsync(db, folder, folders.Count == 1 ? name : null, tag, ct);
            results.Add(result);
            if (broadcaster is not null && !result.AlreadyImported && await db.Runs.FindAsync([result.RunId], ct) is { } run)
                broadcaster.Run(RunMessages.From(run));
        }
        return results;
    }

    private static async Task<Results<Ok<IReadOnlyList<ImportResult>>, ValidationProblem>> UploadAsync(
        [FromForm] IFormFileCollection files, [FromForm] string? name, [FromForm] string? tag,
        IDbContextFactory<ProCoDbContext> factory, DataPaths paths, RunBroadcaster broadcaster, CancellationToken ct)
    {
        if (files.Count == 0)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["files"] = ["Choose the event files (events.out.tfevents.*) of one or more run folders."] });
        if (files.Sum(f => f.Length) > MaxUploadBytes)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["files"] = [$"At most {MaxUploadBytes >> 20} MB per upload."] });
        var notEvents = files.Where(f => !Path.GetFileName(f.FileName).Contains("tfevents", StringComparison.Ordinal)).Select(f => f.FileName).ToList();
        if (notEvents.Count > 0)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["files"] = [$"Not TensorBoard event files: {string.Join(", ", notEvents)}."] });

        // Files keep the folder they came from (a folder upload sends "run/events..."), reduced to plain names.
        var root = Path.Combine(paths.ImportsDir, DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6]);
        foreach (var file in files)
        {
            var parts = file.FileName.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries)
                .Where(p => p is not "." and not "..").Select(Path.GetFileName).Where(p => !string.IsNullOrEmpty(p)).ToList();
            var runFolder = parts.Count >= 2 ? parts[^2]! : (string.IsNullOrWhiteSpace(name) ? "uploaded-run" : Sanitize(name));
            var target = Path.Combine(root, runFolder, parts[^1]!);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await using var output = File.Create(target);
            await file.CopyToAsync(output, ct);
        }
        var results = await ImportFoldersAsync(factory, root, name, tag, broadcaster, ct);
        return TypedResults.Ok(results);
    }

    /// <summary>A run name reduced to a safe folder name.</summary>
    public static string Sanitize(string name) =>
        string.Concat(name.Trim().Select(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '_')).Trim('.') is { Length: > 0 } clean ? clean : "uploaded-run";

    private static async Task<Results<Ok<IReadOnlyList<ImportResult>>, ProblemHttpResult>> ReferenceAsync(
        IDbContextFactory<ProCoDbContext> factory, DataPaths paths, RunBroadcaster broadcaster, CancellationToken ct)
    {
        if (!Directory.Exists(paths.ReferenceLogsDir) || TensorBoardImporter.RunFolders(paths.ReferenceLogsDir).Count == 0)
            return TypedResults.Problem(
                $"The paper's TensorBoard logs are not in {paths.ReferenceLogsDir}. Copy the authors' run folders " +
                "(ProCo_cifar100_imb0.01_epochs200 ...) there, or set ProCo:ReferenceLogsDir to where they are.",
                statusCode: StatusCodes.Status404NotFound, title: "Reference logs not found");
        return TypedResults.Ok(await ImportFoldersAsync(factory, paths.ReferenceLogsDir, null, "paper", broadcaster, ct));
    }

    private static async Task<IResult> ExportAsync(long id, IDbContextFactory<ProCoDbContext> factory, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        if (!await db.Runs.AnyAsync(r => r.Id == id, ct)) return TypedResults.NotFound();
        var buffer = new MemoryStream();
        await TensorBoardImporter.ExportAsync(db, id, buffer, ct);
        buffer.Position = 0;
        return TypedResults.File(buffer, "application/octet-stream", EventFiles.FileName(DateTimeOffset.UtcNow, $"proco-run{id}"));
    }

    private static async Task<Results<Ok<RunSummary>, NotFound, ValidationProblem>> PatchAsync(long id, RunPatch patch,
        IDbContextFactory<ProCoDbContext> factory, RunBroadcaster broadcaster, CancellationToken ct)
    {
        var (errors, run) = await ApplyPatchAsync(factory, id, patch, broadcaster, ct);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        return run is null ? TypedResults.NotFound() : TypedResults.Ok(run);
    }

    /// <summary>
    /// Validates and applies a metadata edit (the API and the run page share it). Returns field
    /// errors, or the edited run (null when it does not exist).
    /// </summary>
    public static async Task<(Dictionary<string, string[]> Errors, RunSummary? Run)> ApplyPatchAsync(
        IDbContextFactory<ProCoDbContext> factory, long id, RunPatch patch, RunBroadcaster broadcaster, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        string? dataset = null;
        if (patch.Dataset is not null)
        {
            try { dataset = DatasetCatalog.NormalizeKey(patch.Dataset); }
            catch (ArgumentException e) { errors["dataset"] = [e.Message]; }
        }
        if (patch.ImbalanceFactor is { } f && !(f > 0 && f <= 1)) errors["imbalanceFactor"] = ["In (0, 1]: 0.01 for imbalance 100."];
        if (patch.Epochs is < 1 or > 10000) errors["epochs"] = ["Between 1 and 10000."];
        if (patch.Name is { } n && (string.IsNullOrWhiteSpace(n) || n.Length > 200)) errors["name"] = ["A name of 1 to 200 characters."];
        if (patch.Tags is not null && patch.Tags.Any(t => string.IsNullOrWhiteSpace(t) || t.Contains(',', StringComparison.Ordinal)))
            errors["tags"] = ["Tags are non-empty words without commas."];
        if (errors.Count > 0) return (errors, null);

        await using var db = await factory.CreateDbContextAsync(ct);
        var run = await db.Runs.FirstOrDefaultAsync(r => r.Id == id, ct);
        if (run is null) return (errors, null);
        // What a trained run was trained with is fixed; only imported runs take dataset, imbalance and epochs edits.
        if (!run.IsImported && (dataset is not null || patch.ImbalanceFactor is not null || patch.Epochs is not null))
        {
            errors["dataset"] = ["Dataset, imbalance factor and epochs of a trained run come from its configuration; only imported runs can be edited."];
            return (errors, null);
        }
        if (patch.Name is not null) run.Name = patch.Name.Trim();
        if (patch.Tags is not null) run.Tags = string.Join(',', patch.Tags.Select(t => t.Trim()));
        if (dataset is not null) run.Dataset = dataset;
        if (patch.ImbalanceFactor is { } imbalance) run.ImbalanceFactor = imbalance;
        if (patch.Epochs is { } epochs) run.Epochs = epochs;
        await db.SaveChangesAsync(ct);
        broadcaster.Run(RunMessages.From(run));
        return (errors, RunSummary.From(run));
    }
}
