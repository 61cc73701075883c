using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using ProCo.Data;
using ProCo.Data.Entities;

namespace ProCo.Web.Accounts;

/// <summary>An account as listed.</summary>
public sealed record AccountInfo(string Name, string Role, DateTimeOffset CreatedAt, int Tokens, bool LockedOut);

/// <summary>An API token as listed (never the token itself).</summary>
public sealed record ApiTokenInfo(long Id, string User, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? LastUsedAt)
{
    public bool Expired(DateTimeOffset now) => ExpiresAt is { } at && at <= now;
}

/// <summary>
/// Accounts and API tokens, for the command line (<c>proco user</c>, <c>proco token</c>), the
/// account page and the token authentication handler. Passwords are kept by ASP.NET Core Identity
/// (PBKDF2); a token is stored as its SHA-256 only and shown once.
/// </summary>
public sealed class AccountService(UserManager<StudioUser> users, RoleManager<IdentityRole> roles, IDbContextFactory<ProCoDbContext> factory, TimeProvider clock)
{
    /// <summary>Every token begins with this, so a leaked one is recognisable (and secret scanners can match it).</summary>
    public const string TokenPrefix = "proco_";

    /// <summary>How long a token lives when its maker names no lifetime.</summary>
    public static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromDays(90);

    /// <summary>The longest lifetime a token may have.</summary>
    public static readonly TimeSpan MaxTokenLifetime = TimeSpan.FromDays(3650);

    /// <summary>Longest token name.</summary>
    public const int MaxTokenNameLength = 100;

    /// <summary>True when at least one account exists.</summary>
    public Task<bool> AnyAsync(CancellationToken ct = default) => users.Users.AnyAsync(ct);

    /// <summary>Every account with its role, oldest first.</summary>
    public async Task<IReadOnlyList<AccountInfo>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var rows = await db.Users.AsNoTracking().Select(u => new
        {
            u.UserName, u.CreatedAt, u.LockoutEnd,
            Roles = db.UserRoles.Where(r => r.UserId == u.Id).Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name).ToList(),
            Tokens = db.ApiTokens.Count(t => t.UserId == u.Id),
        }).ToListAsync(ct);
        var now = clock.GetUtcNow();
        return rows.OrderBy(r => r.CreatedAt)
            .Select(r => new AccountInfo(r.UserName!, StudioRoles.Highest(r.Roles) ?? "none", r.CreatedAt, r.Tokens, r.LockoutEnd is { } end && end > now))
            .ToList();
    }


    /// <summary>Creates an account; the error (name taken, password too short, unknown role) otherwise.</summary>
    public async Task<string?> AddAsync(string name, string password, string role)
    {
        if (StudioRoles.Rank(role) < 0) return $"'{role}' is not a role: viewer, operator or admin.";
        var user = new StudioUser { UserName = name.Trim(), CreatedAt = clock.GetUtcNow() };
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded) return Describe(created);
        await EnsureRoleAsync(role);
        var added = await users.AddToRoleAsync(user, StudioRoles.Parse(role));
        if (added.Succeeded) return null;
        await users.DeleteAsync(user);
        return Describe(added);
    }

    /// <summary>Gives an account exactly one role; its open sessions learn it within a minute.</summary>
    public async Task<string?> SetRoleAsync(string name, string role)
    {
        if (StudioRoles.Rank(role) < 0) return $"'{role}' is not a role: viewer, operator or admin.";
        if (await users.FindByNameAsync(name) is not { } user) return $"There is no account '{name}'.";
        var current = await users.GetRolesAsync(user);
        if (current.Contains(StudioRoles.Admin) && StudioRoles.Parse(role) != StudioRoles.Admin && await IsLastAdminAsync(user))
            return $"'{name}' is the last admin; make another account admin first.";
        var removed = await users.RemoveFromRolesAsync(user, current);
        if (!removed.Succeeded) return Describe(removed);
        await EnsureRoleAsync(role);
        var added = await users.AddToRoleAsync(user, StudioRoles.Parse(role));
        if (!added.Succeeded) return Describe(added);
        await users.UpdateSecurityStampAsync(user);
        return null;
    }

    /// <summary>Sets a new password and ends the account's sessions and API tokens (a leaked password may have made them).</summary>
    public async Task<string?> SetPasswordAsync(string name, string password)
    {
        if (await users.FindByNameAsync(name) is not { } user) return $"There is no account '{name}'.";
        foreach (var validator in users.PasswordValidators)
        {
            var valid = await validator.ValidateAsync(users, user, password);
            if (!valid.Succeeded) return Describe(valid);
        }
        if (await users.HasPasswordAsync(user)) await users.RemovePasswordAsync(user);
        var set = await users.AddPasswordAsync(user, password);
        if (!set.Succeeded) return Describe(set);
        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        await using var db = await factory.CreateDbContextAsync();
        await db.ApiTokens.Where(t => t.UserId == user.Id).ExecuteDeleteAsync();
        return null;
    }

    /// <summary>Removes an account and its tokens (its runs stay, their events keep its name).</summary>
    public async Task<string?> RemoveAsync(string name)
    {
        if (await users.FindByNameAsync(name) is not { } user) return $"There is no account '{name}'.";
        if ((await users.GetRolesAsync(user)).Contains(StudioRoles.Admin) && await IsLastAdminAsync(user))
            return $"'{name}' is the last admin; make another account admin first.";
        var deleted = await users.DeleteAsync(user);
        return deleted.Succeeded ? null : Describe(deleted);
    }

    private async Task<bool> IsLastAdminAsync(StudioUser user) =>
        (await users.GetUsersInRoleAsync(StudioRoles.Admin)).All(u => u.Id == user.Id);

    private async Task EnsureRoleAsync(string role)
    {
        var name = StudioRoles.Parse(role);
        if (!await roles.RoleExistsAsync(name)) await roles.CreateAsync(new IdentityRole(name));
    }

    private static string Describe(IdentityResult result) => string.Join(" ", result.Errors.Select(e => e.Description));

    /// <summary>
    /// Creates a token for <paramref name="userName"/>. The token is returned here once; only its hash is kept.
    /// </summary>
    public async Task<(string? Token, ApiTokenInfo? Info, string? Error)> CreateTokenAsync(string userName, string tokenName, TimeSpan? lifetime,
        CancellationToken ct = default)
    {
        tokenName = tokenName.Trim();
        if (tokenName.Length is 0 or > MaxTokenNameLength) return (null, null, $"A token name of 1 to {MaxTokenNameLength} characters.");
        lifetime ??= DefaultTokenLifetime;
        if (lifetime <= TimeSpan.Zero || lifetime > MaxTokenLifetime) return (null, null, "A token lives 1 to 3650 days (90 when none is given).");
        if (await users.FindByNameAsync(userName) is not { } user) return (null, null, $"There is no account '{userName}'.");
        var token = TokenPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow();
        var entity = new ApiToken
        {
            UserId = user.Id, Name = tokenName, Hash = Hash(token), Prefix = token[..(TokenPrefix.Length + 6)],
            CreatedAt = now, ExpiresAt = lifetime is { } l ? now + l : null,
        };
        await using var db = await factory.CreateDbContextAsync(ct);
        db.ApiTokens.Add(entity);
        await db.SaveChangesAsync(ct);
        return (token, ToInfo(entity, user.UserName!), null);
    }

    /// <summary>Tokens of one account, or of all when <paramref name="userName"/> is null; newest first.</summary>
    public async Task<IReadOnlyList<ApiTokenInfo>> ListTokensAsync(string? userName, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var rows = await db.ApiTokens.AsNoTracking()
            .Join(db.Users, t => t.UserId, u => u.Id, (t, u) => new { Token = t, u.UserName })
            .Where(r => userName == null || r.UserName == userName)
            .ToListAsync(ct);
        return rows.Select(r => ToInfo(r.Token, r.UserName!)).OrderByDescending(t => t.CreatedAt).ToList();
    }

    /// <summary>Revokes a token; when <paramref name="owner"/> is given, only one of that account's. False when there is no such token.</summary>
    public async Task<bool> RevokeTokenAsync(long id, string? owner, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var query = db.ApiTokens.Where(t => t.Id == id);
        if (owner is not null) query = query.Where(t => db.Users.Any(u => u.Id == t.UserId && u.UserName == owner));
        return await query.ExecuteDeleteAsync(ct) > 0;
    }

    /// <summary>
    /// The principal a token stands for (its user with the user's current role), or null when it is unknown or expired,
    /// or its account is locked out.
    /// </summary>
    public async Task<ClaimsPrincipal?> AuthenticateTokenAsync(string token, CancellationToken ct = default)
    {
        if (!token.StartsWith(TokenPrefix, StringComparison.Ordinal) || token.Length > 200) return null;
        var hash = Hash(token);
        var now = clock.GetUtcNow();
        await using var db = await factory.CreateDbContextAsync(ct);
        if (await StandingAsync(db, db.ApiTokens.Where(t => t.Hash == hash), now, ct) is not { } found) return null;
        var role = found.Role;
        // Last use is kept to the minute: a busy script need not write on every request.
        if (found.LastUsedAt is not { } last || now - last > TimeSpan.FromMinutes(1))
            await db.ApiTokens.Where(t => t.Id == found.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), ct);
        return Permissions.Principal(found.UserName!, role, ApiTokenHandler.SchemeName, new Claim(ClaimTypes.NameIdentifier, found.UserId),
            new Claim(SessionCheck.TokenClaim, found.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>True while the token <paramref name="id"/> would still authenticate: not revoked or expired, its account unlocked and with a role.</summary>
    public async Task<bool> TokenStandsAsync(long id, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await StandingAsync(db, db.ApiTokens.Where(t => t.Id == id), clock.GetUtcNow(), ct) is not null;
    }

    private sealed record StandingToken(long Id, DateTimeOffset? LastUsedAt, string UserName, string UserId, string Role);

    // The token <paramref name="token"/> selects, when it stands: unexpired, its account not locked out (an
    // administrator's lock) and holding a role; null otherwise. Authentication and revalidation ask the same.
    private static async Task<StandingToken?> StandingAsync(ProCoDbContext db, IQueryable<ApiToken> token, DateTimeOffset now, CancellationToken ct)
    {
        var found = await token
            .Join(db.Users, t => t.UserId, u => u.Id, (t, u) => new { t.Id, t.ExpiresAt, t.LastUsedAt, u.UserName, u.LockoutEnd, UserId = u.Id })
            .FirstOrDefaultAsync(ct);
        if (found is null || found.ExpiresAt is { } expires && expires <= now || found.LockoutEnd is { } locked && locked > now) return null;
        var role = StudioRoles.Highest(await db.UserRoles.Where(r => r.UserId == found.UserId)
            .Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name).ToListAsync(ct));
        return role is null ? null : new StandingToken(found.Id, found.LastUsedAt, found.UserName!, found.UserId, role);
    }

    private static ApiTokenInfo ToInfo(ApiToken t, string user) => new(t.Id, user, t.Name, t.Prefix, t.CreatedAt, t.ExpiresAt, t.LastUsedAt);

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
