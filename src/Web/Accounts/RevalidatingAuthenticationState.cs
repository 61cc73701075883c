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
public sealed class RevalidatingAuthenticationState(ILoggerFactory logs, SessionCheck sessions) : RevalidatingServerAuthenticationStateProvider(logs)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    // A token never opens a page; a password session must still stand.
    protected override Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken) =>
        sessions.StillValidAsync(authenticationState.User, cancellationToken);
}
