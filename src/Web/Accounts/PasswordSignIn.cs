using Microsoft.AspNetCore.Identity;
using ProCo.Data.Entities;

namespace ProCo.Web.Accounts;

/// <summary>What a sign-in attempt came to: success, or the sentence to show and, when throttled, how long to wait.</summary>
public sealed record SignInOutcome(bool Succeeded, string? Error = null, TimeSpan? RetryAfter = null);

/// <summary>
/// Signing in with a password, throttled (<see cref="SignInThrottle"/>) and alike for names that exist
/// and names that do not: the same sentence, and one password hash checked either way (an unknown name
/// is checked against a hash no password matches), so neither the answer nor its time tells them apart.
/// </summary>
public sealed class PasswordSignIn(SignInManager<StudioUser> signIn, UserManager<StudioUser> users, SignInThrottle throttle)
{
    /// <summary>The answer to a wrong name or a wrong password.</summary>
    public const string Wrong = "Wrong account name or password.";

    private static string? s_unmatchable;

    /// <summary>Signs in (sets the cookie) when the name and password are right and the address is not throttled.</summary>
    public async Task<SignInOutcome> SignInAsync(string? address, string name, string password, bool remember)
    {
        address ??= "unknown";
        if (throttle.Admit(address, name) is { } wait)
            return new SignInOutcome(false, $"Too many sign-in attempts from this address: try again in {Math.Ceiling(wait.TotalSeconds):0} s.", wait);
        var user = name.Length is > 0 and <= 256 ? await users.FindByNameAsync(name) : null;
        if (user is null)
        {
            var probe = new StudioUser();
            s_unmatchable ??= users.PasswordHasher.HashPassword(probe, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
            users.PasswordHasher.VerifyHashedPassword(probe, s_unmatchable, password);
            throttle.Failed(address, name);
            return new SignInOutcome(false, Wrong);
        }
        if (!await users.CheckPasswordAsync(user, password))
        {
            throttle.Failed(address, name);
            return new SignInOutcome(false, Wrong);
        }
        // Only the account's owner (the right password) learns that an admin locked it.
        if (await users.IsLockedOutAsync(user))
            return new SignInOutcome(false, "This account is locked; an admin lifts the lock with 'proco user password'.");
        await signIn.SignInAsync(user, remember);
        throttle.Succeeded(address, name);
        return new SignInOutcome(true);
    }
}
