namespace ProCo.Web.Hosting;

/// <summary>
/// Refuses what another web site could make a visitor's browser send here: a state-changing
/// request (any method but GET, HEAD, OPTIONS), or the opening of a live connection (the hub, the
/// Blazor circuit), that carries a foreign <c>Origin</c>, or no Origin but a foreign
/// <c>Referer</c>. A request with neither (the CLI, scripts, curl) passes on. Whatever the content
/// type: a form or text/plain post is refused as well as JSON.
/// </summary>
public static class CrossOriginGuard
{
    public static IApplicationBuilder UseCrossOriginGuard(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var request = context.Request;
        var live = request.Path.StartsWithSegments("/hubs") || request.Path.StartsWithSegments("/_blazor");
        var changes = !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method));
        if ((changes || live) && Foreign(request) is { } source)
        {
            await Results.Problem($"Requests from {source} may not act on this server: only its own pages (or clients that send no Origin) may.",
                statusCode: StatusCodes.Status403Forbidden, title: "Cross-origin request refused").ExecuteAsync(context);
            return;
        }
        await next(context);
    });

    // The foreign origin a request carries, or null when it is this server's own or absent.
    private static string? Foreign(HttpRequest request)
    {
        var claimed = request.Headers.Origin.ToString();
        if (claimed.Length == 0) claimed = request.Headers.Referer.ToString();
        if (claimed.Length == 0) return null;
        // "null" (a sandboxed frame, a file) or anything unreadable is foreign too.
        if (!Uri.TryCreate(claimed, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) return claimed;
        return SameAuthority(uri, request.Host) ? null : $"{uri.Scheme}://{uri.Authority}";
    }

    // Host and port, with the scheme's default port left out on both sides (a TLS proxy in front
    // makes the scheme differ; the host the browser used is what must match).
    private static bool SameAuthority(Uri origin, HostString host)
    {
        static string Normal(string hostName, int? port) =>
            port is null or 80 or 443 ? hostName.ToLowerInvariant() : $"{hostName.ToLowerInvariant()}:{port}";
        return Normal(origin.Host, origin.IsDefaultPort ? null : origin.Port) == Normal(host.Host, host.Port);
    }
}
