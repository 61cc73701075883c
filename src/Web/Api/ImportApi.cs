using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using ProCo.Data.TensorBoard;
using ProCo.Web.Accounts;
using ProCo.Web.Hosting;
using ProCo.Web.Runs;

namespace ProCo.Web.Api;

/// <summary>TensorBoard import (upload, the paper's runs) and export: thin handlers over <see cref="ImportService"/>.</summary>
public static class ImportApi
{
    public static IEndpointRouteBuilder MapImportApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api").WithTags("TensorBoard").RequireAuthorization(Permissions.Policy(StudioAction.Read));
        // The web server's own 30 MB body limit would answer a large upload before our limit could say why.
        var maxUpload = app.ServiceProvider.GetRequiredService<DataPaths>().Options.Import.MaxUploadBytes;
        // Antiforgery is not asked of this form post: the cross-origin guard refuses a foreign Origin or Referer, and the
        // cookie is SameSite=Strict, so another site cannot make a browser send it here.
        group.MapPost("/import", UploadAsync).DisableAntiforgery().RequireAuthorization(Permissions.Policy(StudioAction.Import)).RequireRateLimiting(RateLimits.Imports).WithMetadata(new RequestSizeLimitAttribute(maxUpload + (1 << 20)))
            .WithSummary("Import uploaded TensorBoard event files (one run per folder)");
        group.MapPost("/import/reference", ReferenceAsync).RequireAuthorization(Permissions.Policy(StudioAction.Import)).RequireRateLimiting(RateLimits.Imports).WithSummary("Import the paper authors' runs from the reference-logs folder");
        group.MapGet("/weights", (WeightsLibrary library) => TypedResults.Ok(library.List())).WithTags("Weights")
            .WithSummary("The weights library: PyTorch weights new runs may start from (initFrom), with the architecture of each");
        group.MapPost("/weights", AddWeightsAsync).DisableAntiforgery().RequireAuthorization(Permissions.Policy(StudioAction.Queue))
            .RequireRateLimiting(RateLimits.Imports).WithMetadata(new RequestSizeLimitAttribute(maxUpload + (1 << 20))).WithTags("Weights")
            .WithSummary("Add PyTorch weights (a state_dict with the public code's names, or a released checkpoint) to the library");
        group.MapGet("/runs/{id:long}/export/tensorboard", ExportAsync).WithSummary("A run's series as a TensorBoard event file");
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<ImportResult>>, ValidationProblem>> UploadAsync(
        [FromForm] IFormFileCollection files, [FromForm] string? name, [FromForm] string? tag, ImportService imports, ClaimsPrincipal user, CancellationToken ct)
    {
        var uploaded = files.Select(f => new UploadedFile(f.FileName, f.Length, f.OpenReadStream)).ToList();
        var errors = imports.Validate(uploaded, name, tag);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        try
        {
            return TypedResults.Ok(await imports.ImportUploadAsync(uploaded, name, tag, user, ct));
        }
        catch (InvalidDataException e)
        {
            // Nothing was stored: the files are refused as a whole (over a limit, or no run folder in them).
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["files"] = [e.Message] });
        }
    }

    private static async Task<Results<Ok<IReadOnlyList<ImportResult>>, ProblemHttpResult>> ReferenceAsync(ImportService imports, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!imports.HasReferenceLogs())
            return TypedResults.Problem(imports.ReferenceLogsAdvice, statusCode: StatusCodes.Status404NotFound, title: "Reference logs not found");
        return TypedResults.Ok(await imports.ImportReferenceAsync(user, ct));
    }

    private static async Task<Results<Ok<WeightsInfo>, ValidationProblem>> AddWeightsAsync(IFormFile file, WeightsLibrary library, ClaimsPrincipal user,
        CancellationToken ct)
    {
        var (info, error) = await library.AddAsync(file.FileName, file.Length, file.OpenReadStream, user, ct);
        return info is null
            ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["file"] = [error!] })
            : TypedResults.Ok(info);
    }

    private static async Task<IResult> ExportAsync(long id, ImportService imports, CancellationToken ct)
    {
        var buffer = new MemoryStream();
        if (!await imports.ExportAsync(id, buffer, ct)) return TypedResults.NotFound();
        buffer.Position = 0;
        return TypedResults.File(buffer, "application/octet-stream", EventFiles.FileName(DateTimeOffset.UtcNow, $"proco-run{id}"));
    }
}
