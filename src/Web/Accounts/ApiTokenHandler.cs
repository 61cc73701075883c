using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ProCo.Web.Accounts;

/// <summary>
/// Authenticates <c>Authorization: Bearer proco_...</c> (the API and the CLI), or, for the live hub
/// only, the <c>access_token</c> query parameter (browsers cannot set headers on a WebSocket).
/// </summary>
public sealed class ApiTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AccountService accounts)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "token";

    /// <summary>The token a request carries, or null.</summary>
    public static string? Read(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header["Bearer ".Length..].Trim();
        if (request.Path.StartsWithSegments("/hubs") && request.Query["access_token"].ToString() is { Length: > 0 } query) return query;
        return null;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Read(Request) is not { } token) return AuthenticateResult.NoResult();
        var principal = await accounts.AuthenticateTokenAsync(token, Context.RequestAborted);
        return principal is null
            ? AuthenticateResult.Fail("The API token is unknown, revoked or expired.")
            : AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        var result = await HandleAuthenticateOnceSafeAsync();
        await AccountResponses.Unauthorized(Context, result.Failure?.Message);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => AccountResponses.Forbidden(Context);
}

/// <summary>
/// Authentication of a server that has no accounts (loopback only): every request is the local
/// user, an admin. <see cref="Hosting.Exposure"/> refuses to start such a server on any other address.
/// </summary>
public sealed class OpenAccessHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "open";

    /// <summary>The name actions of an open server are recorded under.</summary>
    public const string UserName = "local";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
        Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(Permissions.Principal(UserName, StudioRoles.Admin, SchemeName), SchemeName)));
}

/// <summary>The 401 and 403 answers of the API and the hub (problem+json saying what to do).</summary>
public static class AccountResponses
{
    public static Task Unauthorized(HttpContext context, string? reason = null) =>
        Results.Problem(
            (reason is null ? "" : reason + " ") + "Sign in at /account/login, or send an API token as 'Authorization: Bearer proco_...' " +
            "(create one on the account page or with 'proco token create').",
            statusCode: StatusCodes.Status401Unauthorized, title: "Sign-in required").ExecuteAsync(context);

    public static Task Forbidden(HttpContext context) =>
        Results.Problem(
            $"{Permissions.NameOf(context.User)} is a {StudioRoles.Of(context.User) ?? "user without a role"}: this needs a higher role. An admin can change it with 'proco user role'.",
            statusCode: StatusCodes.Status403Forbidden, title: "Not allowed").ExecuteAsync(context);
}
