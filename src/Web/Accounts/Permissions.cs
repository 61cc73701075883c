using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;

namespace ProCo.Web.Accounts;

/// <summary>The three roles, each including the one below it.</summary>
public static class StudioRoles
{
    /// <summary>Reads everything: runs, metrics, checkpoints, workers, datasets.</summary>
    public const string Viewer = "viewer";

    /// <summary>Also queues runs and grids, cancels, resumes, imports, edits names, tags and notes.</summary>
    public const string Operator = "operator";

    /// <summary>Also deletes runs, registers datasets, manages accounts and opens the job dashboard.</summary>
    public const string Admin = "admin";

    /// <summary>Lowest to highest.</summary>
    public static readonly IReadOnlyList<string> All = [Viewer, Operator, Admin];

    /// <summary>0, 1, 2 for viewer, operator, admin; -1 for anything else.</summary>
    public static int Rank(string? role) => role is null ? -1 : IndexOf(role);

    private static int IndexOf(string role)
    {
        for (var i = 0; i < All.Count; i++)
            if (string.Equals(All[i], role, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    /// <summary>The highest role a signed-in user holds, or null.</summary>
    public static string? Of(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true ? Highest(user.FindAll(ClaimTypes.Role).Select(c => c.Value)) : null;

    /// <summary>The highest of these role names, in its canonical spelling; null when none is a role.</summary>
    public static string? Highest(IEnumerable<string?> names) =>
        names.Where(n => Rank(n) >= 0).Select(n => All[Rank(n)]).MaxBy(Rank);

    /// <summary>The role named, in its canonical spelling, or an error naming the three.</summary>
    public static string Parse(string role) =>
        Rank(role) is var rank and >= 0 ? All[rank] : throw new ArgumentException($"'{role}' is not a role: viewer, operator or admin.");
}

/// <summary>What a person may do in Studio; each action needs one role (or a higher one).</summary>
public enum StudioAction
{
    Read,
    Queue,
    Cancel,
    Resume,
    Edit,
    Import,
    Delete,
    ManageAccounts,
    /// <summary>Register, verify and remove image datasets (they name folders of the server).</summary>
    ManageDatasets,
    OpenJobDashboard,
}

/// <summary>
/// Who may do what: the one table the API's endpoint policies, the hub, the pages' buttons and the
/// application services all read.
/// </summary>
public static class Permissions
{
    /// <summary>The role an action needs.</summary>
    public static string RoleFor(StudioAction action) => action switch
    {
        StudioAction.Read => StudioRoles.Viewer,
        StudioAction.Queue or StudioAction.Cancel or StudioAction.Resume or StudioAction.Edit or StudioAction.Import => StudioRoles.Operator,
        StudioAction.Delete or StudioAction.ManageAccounts or StudioAction.ManageDatasets or StudioAction.OpenJobDashboard => StudioRoles.Admin,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    /// <summary>The authorization policy of an action (policies are named after roles).</summary>
    public static string Policy(StudioAction action) => RoleFor(action);

    /// <summary>True when <paramref name="user"/> holds the action's role or a higher one.</summary>
    public static bool Allows(ClaimsPrincipal user, StudioAction action) =>
        StudioRoles.Rank(StudioRoles.Of(user)) >= StudioRoles.Rank(RoleFor(action));

    /// <summary>Every action <paramref name="user"/> may take.</summary>
    public static HashSet<StudioAction> AllowedActions(ClaimsPrincipal user) => Enum.GetValues<StudioAction>().Where(a => Allows(user, a)).ToHashSet();

    /// <summary>"Only operators and admins may cancel runs; you are a viewer."</summary>
    public static string Refusal(ClaimsPrincipal user, StudioAction action)
    {
        var role = RoleFor(action);
        var who = role switch
        {
            StudioRoles.Viewer => "signed-in users",
            StudioRoles.Operator => "operators and admins",
            _ => "admins",
        };
        var what = action switch
        {
            StudioAction.Read => "read runs",
            StudioAction.Queue => "queue runs",
            StudioAction.Cancel => "cancel runs",
            StudioAction.Resume => "resume runs",
            StudioAction.Edit => "edit runs",
            StudioAction.Import => "import runs",
            StudioAction.Delete => "delete runs",
            StudioAction.ManageAccounts => "manage accounts",
            StudioAction.ManageDatasets => "register datasets",
            _ => "open the job dashboard",
        };
        return StudioRoles.Of(user) is { } held ? $"Only {who} may {what}; {NameOf(user)} is a {held}." : $"Only {who} may {what}.";
    }

    /// <summary>A policy per role: the role or a higher one.</summary>
    public static void AddPolicies(AuthorizationOptions options)
    {
        foreach (var role in StudioRoles.All)
            options.AddPolicy(role, policy => policy.RequireAuthenticatedUser()
                .RequireAssertion(context => StudioRoles.Rank(StudioRoles.Of(context.User)) >= StudioRoles.Rank(role)));
    }

    /// <summary>The name recorded in a run's events for an action of <paramref name="user"/>.</summary>
    public static string NameOf(ClaimsPrincipal user) => user.Identity?.Name is { Length: > 0 } name ? name : "anonymous";

    /// <summary>A signed-in principal with one role (the open loopback server's "local", the CLI's own user, a token's user).</summary>
    public static ClaimsPrincipal Principal(string name, string role, string authenticationType, params Claim[] extra) =>
        new(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role), .. extra],
            authenticationType, ClaimTypes.Name, ClaimTypes.Role));

    /// <summary>The CLI acting on its own data folder (whoever can read the folder owns it): an admin named after the OS user.</summary>
    public static ClaimsPrincipal CommandLine { get; } = Principal($"{Environment.UserName} (command line)", StudioRoles.Admin, "cli");
}
