using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using ProCo.Data.Entities;
using ProCo.Web.Runs;

namespace ProCo.Web.Accounts;

/// <summary>
/// An open page checks its account every minute: removed, given another role or another password,
/// its session ends (the page goes to the sign-in form) instead of acting on a role it no longer has.
/// </summary>
public sealed class RevalidatingAuthenticationState(ILoggerFactory logs, IServiceScopeFactory scopes, IOptions<IdentityOptions> identity, ProCoOptions options)
    : RevalidatingServerAuthenticationStateProvider(logs)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        // Without accounts the local user is always valid; a token never opens a page.
        if (!options.Auth.Enabled) return true;
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<StudioUser>>();
        if (await users.GetUserAsync(authenticationState.User) is not { } user) return false;
        if (!users.SupportsUserSecurityStamp) return true;
        var stamp = authenticationState.User.FindFirstValue(identity.Value.ClaimsIdentity.SecurityStampClaimType);
        return stamp == await users.GetSecurityStampAsync(user);
    }
}
