using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using ProCo.Data.Entities;
using ProCo.Web.Accounts;
using ProCo.Web.Hosting;
using ProCo.Web.Runs;

namespace ProCo.Web.Api;

/// <summary>Who is asking (<c>/api/me</c>), their API tokens, the accounts (admins), and signing out.</summary>
public static class AccountsApi
{
    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api").WithTags("Accounts").RequireAuthorization(Permissions.Policy(StudioAction.Read));
        group.MapGet("/me", Me).WithSummary("The signed-in account: name, role, and whether this server has accounts at all");
        group.MapGet("/tokens", ListTokensAsync).WithSummary("Your API tokens (never the tokens themselves)");
        group.MapPost("/tokens", CreateTokenAsync).CountsAsAction().WithSummary("Create an API token for your account; the answer holds it, once");
        group.MapDelete("/tokens/{id:long}", RevokeTokenAsync).WithSummary("Revoke one of your API tokens");
        group.MapGet("/users", (AccountService accounts, CancellationToken ct) => accounts.ListAsync(ct))
            .RequireAuthorization(Permissions.Policy(StudioAction.ManageAccounts)).WithSummary("Every account with its role (admins)");
        // A form post from the pages (antiforgery-checked because it reads the form).
        app.MapPost("/account/logout", async ([FromForm] string? returnUrl, SignInManager<StudioUser> signIn) =>
        {
            await signIn.SignOutAsync();
            return TypedResults.LocalRedirect(AccountsServiceCollectionExtensions.LoginPath);
        }).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    /// <summary>The caller as the API sees them.</summary>
    public sealed record Caller(string Name, string? Role, bool AccountsEnabled, IReadOnlyList<string> Allowed);

    private static Ok<Caller> Me(ClaimsPrincipal user, ProCoOptions options) => TypedResults.Ok(new Caller(
        Permissions.NameOf(user), StudioRoles.Of(user), options.Auth.Enabled,
        Permissions.AllowedActions(user).Order().Select(a => a.ToString()).ToList()));

    /// <summary>A token to create: its name and, optionally, days until it expires.</summary>
    public sealed record TokenRequest(string? Name, int? Days);

    /// <summary>A created token: shown once.</summary>
    public sealed record CreatedToken(string Token, ApiTokenInfo Info);

    private static async Task<Results<Ok<IReadOnlyList<ApiTokenInfo>>, ProblemHttpResult>> ListTokensAsync(ClaimsPrincipal user, AccountService accounts,
        ProCoOptions options, CancellationToken ct) =>
        options.Auth.Enabled ? TypedResults.Ok(await accounts.ListTokensAsync(Permissions.NameOf(user), ct)) : NoAccounts();

    private static async Task<Results<Ok<CreatedToken>, ValidationProblem, ProblemHttpResult>> CreateTokenAsync(TokenRequest request, ClaimsPrincipal user,
        AccountService accounts, ProCoOptions options, CancellationToken ct)
    {
        if (!options.Auth.Enabled) return NoAccounts();
        // Only a person signed in with their password makes tokens: a token that could make tokens would live on after
        // its own revocation, through what it made.
        if (user.Identity?.AuthenticationType == ApiTokenHandler.SchemeName)
            return TypedResults.Problem("An API token cannot create tokens: sign in with your password (the Account page) to create one.",
                statusCode: StatusCodes.Status403Forbidden, title: "Tokens are made by signed-in people");
        if (request.Days is <= 0 or > 3650)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["days"] = ["Between 1 and 3650 days (90 when none is given)."] });
        var (token, info, error) = await accounts.CreateTokenAsync(Permissions.NameOf(user), request.Name ?? "",
            request.Days is { } days ? TimeSpan.FromDays(days) : null, ct);
        return error is not null
            ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["name"] = [error] })
            : TypedResults.Ok(new CreatedToken(token!, info!));
    }

    private static async Task<Results<NoContent, NotFound, ProblemHttpResult>> RevokeTokenAsync(long id, ClaimsPrincipal user, AccountService accounts,
        ProCoOptions options, CancellationToken ct)
    {
        if (!options.Auth.Enabled) return NoAccounts();
        // Admins may revoke anyone's token; others only their own.
        var owner = Permissions.Allows(user, StudioAction.ManageAccounts) ? null : Permissions.NameOf(user);
        return await accounts.RevokeTokenAsync(id, owner, ct) ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    private static ProblemHttpResult NoAccounts() => TypedResults.Problem(
        "This server has no accounts (ProCo:Auth:Enabled is false): it is open to this machine only, and needs no tokens.",
        statusCode: StatusCodes.Status409Conflict, title: "Accounts are off");
}
