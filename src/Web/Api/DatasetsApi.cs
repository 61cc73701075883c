using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using ProCo.Training.Datasets;
using ProCo.Web.Accounts;
using ProCo.Web.Hosting;
using ProCo.Web.Runs;

namespace ProCo.Web.Api;

/// <summary>The datasets runs can name: thin handlers over <see cref="DatasetService"/>.</summary>
public static class DatasetsApi
{
    public static IEndpointRouteBuilder MapDatasetsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/datasets").WithTags("Datasets").RequireAuthorization(Permissions.Policy(StudioAction.Read));
        group.MapGet("", (DatasetService datasets) => TypedResults.Ok(datasets.List()))
            .WithSummary("Built-in datasets and registered image datasets, with images per class and split and the unreadable files found");
        group.MapGet("/{name}", Results<Ok<DatasetView>, NotFound> (string name, DatasetService datasets) =>
                datasets.Find(name) is { } view ? TypedResults.Ok(view) : TypedResults.NotFound())
            .WithSummary("One registered image dataset");
        group.MapPost("", Register).RequireAuthorization(Permissions.Policy(StudioAction.ManageDatasets)).CountsAsAction()
            .WithSummary("Register a folder of the server as an image dataset (ImageNet-LT or iNaturalist 2018 lists, list files, an ImageFolder tree)");
        group.MapPost("/{name}/verify", Results<Accepted, NotFound, Conflict<string>> (string name, DatasetService datasets, ClaimsPrincipal user) =>
                datasets.Find(name) is null ? TypedResults.NotFound()
                : datasets.StartVerify(name, user) ? TypedResults.Accepted($"/api/datasets/{name}")
                : TypedResults.Conflict($"'{name}' is being verified already."))
            .RequireAuthorization(Permissions.Policy(StudioAction.ManageDatasets)).CountsAsAction()
            .WithSummary("Decode every image of a registered dataset in the background; the unreadable ones land in its scan");
        group.MapPost("/{name}/download", Results<Accepted<DatasetDownload>, Conflict<string>> (string name, BuiltInDatasets builtIn, ClaimsPrincipal user) =>
                builtIn.StartDownload(name, user) is { } refusal ? TypedResults.Conflict(refusal)
                : TypedResults.Accepted($"/api/datasets/{name}/download", builtIn.Download(DatasetCatalog.NormalizeName(name))))
            .RequireAuthorization(Permissions.Policy(StudioAction.ManageDatasets)).CountsAsAction()
            .WithSummary("Download a missing built-in dataset (CIFAR-10/100, Fashion-MNIST) from its official source (or ProCo:DownloadMirror) in the background, checksums verified");
        group.MapGet("/{name}/download", Results<Ok<DatasetDownload>, NotFound> (string name, BuiltInDatasets builtIn) =>
                builtIn.Download(DatasetCatalog.NormalizeName(name)) is { } state ? TypedResults.Ok(state) : TypedResults.NotFound())
            .WithSummary("Where the last download of a built-in dataset stands: bytes so far, or why it stopped");
        group.MapDelete("/{name}", Results<NoContent, NotFound> (string name, DatasetService datasets, ClaimsPrincipal user) =>
                datasets.Remove(name, user) ? TypedResults.NoContent() : TypedResults.NotFound())
            .RequireAuthorization(Permissions.Policy(StudioAction.ManageDatasets)).CountsAsAction()
            .WithSummary("Forget a registered dataset (its files stay)");
        return app;
    }

    private static Results<Created<DatasetView>, ValidationProblem> Register(DatasetRegistration request, DatasetService datasets, ClaimsPrincipal user)
    {
        var (errors, view) = datasets.Register(request, user);
        return view is null ? TypedResults.ValidationProblem(errors) : TypedResults.Created($"/api/datasets/{view.Name}", view);
    }
}
