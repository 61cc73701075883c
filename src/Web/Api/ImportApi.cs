using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using ProCo.Data.TensorBoard;
using ProCo.Web.Runs;

namespace ProCo.Web.Api;

/// <summary>TensorBoard import (upload, the paper's runs) and export: thin handlers over <see cref="ImportService"/>.</summary>
public static class ImportApi
{
    public static IEndpointRouteBuilder MapImportApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api").WithTags("TensorBoard");
        group.MapPost("/import", UploadAsync).DisableAntiforgery().WithSummary("Import uploaded TensorBoard event files (one run per folder)");
        group.MapPost("/import/reference", ReferenceAsync).WithSummary("Import the paper authors' runs from the reference-logs folder");
        group.MapGet("/runs/{id:long}/export/tensorboard", ExportAsync).WithSummary("A run's series as a TensorBoard event file");
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<ImportResult>>, ValidationProblem>> UploadAsync(
        [FromForm] IFormFileCollection files, [FromForm] string? name, [FromForm] string? tag, ImportService imports, CancellationToken ct)
    {
        var uploaded = files.Select(f => new UploadedFile(f.FileName, f.Length, f.OpenReadStream)).ToList();
        var errors = ImportService.Validate(uploaded, name, tag);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        return TypedResults.Ok(await imports.ImportUploadAsync(uploaded, name, tag, ct));
    }

    private static async Task<Results<Ok<IReadOnlyList<ImportResult>>, ProblemHttpResult>> ReferenceAsync(ImportService imports, CancellationToken ct)
    {
        if (!imports.HasReferenceLogs())
            return TypedResults.Problem(imports.ReferenceLogsAdvice, statusCode: StatusCodes.Status404NotFound, title: "Reference logs not found");
        return TypedResults.Ok(await imports.ImportReferenceAsync(ct));
    }

    private static async Task<IResult> ExportAsync(long id, ImportService imports, CancellationToken ct)
    {
        var buffer = new MemoryStream();
        if (!await imports.ExportAsync(id, buffer, ct)) return TypedResults.NotFound();
        buffer.Position = 0;
        return TypedResults.File(buffer, "application/octet-stream", EventFiles.FileName(DateTimeOffset.UtcNow, $"proco-run{id}"));
    }
}
