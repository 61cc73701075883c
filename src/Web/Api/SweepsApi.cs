using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using ProCo.Web.Accounts;
using ProCo.Web.Hosting;
using ProCo.Web.Runs;

namespace ProCo.Web.Api;

/// <summary>Sweeps: a grid or a random search queued in one call (<see cref="SweepService"/>), and a sweep with its runs.</summary>
public static class SweepsApi
{
    public static IEndpointRouteBuilder MapSweepsApi(this IEndpointRouteBuilder app)
    {
        var sweeps = app.MapGroup("/api/sweeps").WithTags("Sweeps").RequireAuthorization(Permissions.Policy(StudioAction.Read));
        sweeps.MapPost("/", QueueAsync)
            .WithSummary("Queue a grid (every combination of the listed values) or a random search (samples drawn from lists and ranges), all runs or none")
            .RequireAuthorization(Permissions.Policy(StudioAction.Queue))
            .Produces<SweepResult>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status429TooManyRequests);
        sweeps.MapGet("/", ListAsync).WithSummary("Every sweep, newest first: what varied, its runs counted by state, its best run");
        sweeps.MapGet("/{id:long}", GetAsync).WithSummary("A sweep: what varied and how, the base configuration, its runs");
        return app;
    }

    // Each run of the sweep counts as one action against the caller's budget (ActionBudget), as from the new-run form.
    private static async Task<IResult> QueueAsync(SweepRequest request, SweepService service, ActionBudget budget, HttpContext http,
        ClaimsPrincipal user, CancellationToken ct)
    {
        var (plan, errors) = service.Plan(request);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The sweep cannot be queued; nothing was.");
        if (budget.Take(user, http.Connection.RemoteIpAddress?.ToString(), plan.Members.Count) is { } refusal) return ActionBudget.TooMany(http, refusal);
        var result = await service.QueueAsync(request, user, ct);
        return TypedResults.Created($"/api/sweeps/{result.Id}", result);
    }

    private static async Task<Ok<IReadOnlyList<SweepSummary>>> ListAsync(SweepService service, CancellationToken ct) =>
        TypedResults.Ok(await service.ListAsync(ct));

    private static async Task<Results<Ok<SweepView>, NotFound>> GetAsync(long id, SweepService service, CancellationToken ct) =>
        await service.FindAsync(id, ct) is { } sweep ? TypedResults.Ok(sweep) : TypedResults.NotFound();
}
