using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using ProCo.Data.Entities;
using ProCo.Web.Runs;

namespace ProCo.Web.Accounts;

/// <summary>
/// Whether a signed-in principal still stands: a token's row is there, unexpired, and its account
/// unlocked with a role; a password session's account is there with the security stamp it signed in
/// with (a new password, role or removal changes it). Open pages and open hub connections ask this
/// every minute or sooner; the hub also asks it on every subscription.
/// </summary>
public sealed class SessionCheck(IServiceScopeFactory scopes, IOptions<IdentityOptions> identity, ProCoOptions options)
{
    /// <summary>The claim a token's principal carries: the token's id.</summary>
    public const string TokenClaim = "proco:token";

    public async Task<bool> StillValidAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        // Without accounts the local user is always valid.
        if (!options.Auth.Enabled) return true;
        await using var scope = scopes.CreateAsyncScope();
        if (user.FindFirstValue(TokenClaim) is { } token)
            return long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                   && await scope.ServiceProvider.GetRequiredService<AccountService>().TokenStandsAsync(id, ct);
        var users = scope.ServiceProvider.GetRequiredService<UserManager<StudioUser>>();
        if (await users.GetUserAsync(user) is not { } account) return false;
        if (!users.SupportsUserSecurityStamp) return true;
        return user.FindFirstValue(identity.Value.ClaimsIdentity.SecurityStampClaimType) == await users.GetSecurityStampAsync(account);
    }
}
