using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Web.Hosting;
using ProCo.Web.Runs;

namespace ProCo.Web.Accounts;

/// <summary>Accounts (ASP.NET Core Identity on the run database), API tokens, sign-in and the role policies.</summary>
public static class AccountsServiceCollectionExtensions
{
    /// <summary>The scheme that picks the token or the cookie for each request.</summary>
    public const string StudioScheme = "studio";

    /// <summary>Where a browser signs in.</summary>
    public const string LoginPath = "/account/login";

    /// <summary>Accounts and tokens without sign-in: what the command line needs.</summary>
    public static IServiceCollection AddAccounts(this IServiceCollection services)
    {
        AddIdentity(services);
        return services;
    }

    // Identity on the run database, with the password and lock-out rules, and the account service;
    // the builder lets the web app add sign-in to the same registration.
    private static IdentityBuilder AddIdentity(IServiceCollection services)
    {
        var builder = services.AddIdentityCore<StudioUser>(identity =>
            {
                // Length is what makes a password strong; composition rules only make it hard to remember.
                identity.Password.RequiredLength = 10;
                identity.Password.RequireDigit = false;
                identity.Password.RequireLowercase = false;
                identity.Password.RequireUppercase = false;
                identity.Password.RequireNonAlphanumeric = false;
                identity.Password.RequiredUniqueChars = 4;
                identity.User.AllowedUserNameCharacters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._@";
                identity.Lockout.AllowedForNewUsers = true;
                identity.Lockout.MaxFailedAccessAttempts = 5;
                identity.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(5);
            })
            .AddRoles<IdentityRole>()
            .AddPasswordValidator<CommonPasswordValidator>()
            .AddEntityFrameworkStores<ProCoDbContext>();
        services.AddScoped<AccountService>();
        services.AddScoped<PasswordSignIn>();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<SessionCheck>();
        services.AddSingleton(TimeProvider.System);
        return builder;
    }

    /// <summary>
    /// Sign-in for the web app: the browser's cookie, API tokens, and on a server without accounts
    /// (<c>ProCo:Auth:Enabled</c> false, loopback only) the local user as admin. Policies per role.
    /// </summary>
    public static IServiceCollection AddStudioAuthentication(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        AddIdentity(services).AddSignInManager();
        services.AddAuthentication()
            .AddPolicyScheme(StudioScheme, "Cookie or API token", scheme => scheme.ForwardDefaultSelector = context =>
                ApiTokenHandler.Read(context.Request) is null ? IdentityConstants.ApplicationScheme : ApiTokenHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenHandler>(ApiTokenHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, OpenAccessHandler>(OpenAccessHandler.SchemeName, null)
            .AddIdentityCookies();
        // Decided from the final configuration (tests and hosts may still add sources).
        services.AddOptions<AuthenticationOptions>().Configure<ProCoOptions>((auth, proco) =>
        {
            var scheme = proco.Auth.Enabled ? StudioScheme : OpenAccessHandler.SchemeName;
            auth.DefaultScheme = scheme;
            auth.DefaultAuthenticateScheme = scheme;
            auth.DefaultChallengeScheme = scheme;
            auth.DefaultForbidScheme = scheme;
        });
        services.ConfigureApplicationCookie(cookie =>
        {
            cookie.Cookie.Name = "proco.auth";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.LoginPath = LoginPath;
            cookie.AccessDeniedPath = "/account/denied";
            cookie.ExpireTimeSpan = TimeSpan.FromDays(14);
            cookie.SlidingExpiration = true;
            // The API and the hub answer 401/403 with a reason; pages redirect to the sign-in page.
            cookie.Events.OnRedirectToLogin = context => WebApp.IsApi(context.Request.Path)
                ? AccountResponses.Unauthorized(context.HttpContext)
                : Redirect(context);
            cookie.Events.OnRedirectToAccessDenied = context => WebApp.IsApi(context.Request.Path)
                ? AccountResponses.Forbidden(context.HttpContext)
                : Redirect(context);
        });
        // A changed role, a new password or a removed account reaches open sessions within a minute.
        services.Configure<SecurityStampValidatorOptions>(stamp => stamp.ValidationInterval = TimeSpan.FromMinutes(1));
        services.AddAuthorization(Permissions.AddPolicies);
        services.AddCascadingAuthenticationState();
        services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, RevalidatingAuthenticationState>();
        return services;
    }

    private static Task Redirect(Microsoft.AspNetCore.Authentication.RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> context)
    {
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }
}
