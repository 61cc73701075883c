using ProCo.Web.Accounts;
using ProCo.Web.Runs;

namespace ProCo.Web.Api;

/// <summary>The live workers: where they are, what they train on, which datasets they have, what they train now.</summary>
public static class WorkersApi
{
    public static IEndpointRouteBuilder MapWorkersApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/workers", async (RunQueries queries, CancellationToken ct) => TypedResults.Ok(await queries.WorkersAsync(ct)))
            .WithTags("Workers").RequireAuthorization(Permissions.Policy(StudioAction.Read))
            .WithSummary("Live workers (a recent heartbeat) with their host, devices, run kinds, datasets, queues and current runs");
        app.MapGet("/api/queue", async (RunQueries queries, CancellationToken ct) => TypedResults.Ok(await queries.QueueAsync(ct: ct)))
            .WithTags("Workers").RequireAuthorization(Permissions.Policy(StudioAction.Read))
            .WithSummary("Runs training now, then queued runs in the order workers take them, each with its place in its queue and why it waits");
        return app;
    }
}
