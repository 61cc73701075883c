using Microsoft.AspNetCore.Identity;
using ProCo.Data.Entities;

namespace ProCo.Web.Accounts;

/// <summary>
/// Refuses the passwords attackers try first: those on the list of the most common passwords that the
/// zxcvbn password-strength project maintains (shipped inside its NuGet package, zxcvbn-core), the same
/// with up to four digits added ("password12"), and the account's own name.
/// </summary>
public sealed class CommonPasswordValidator : IPasswordValidator<StudioUser>
{
    private const string ListResource = "zxcvbn-core.Dictionaries.passwords.lst";
    private static readonly Lazy<HashSet<string>> s_common = new(Load);

    /// <summary>How many passwords the list holds.</summary>
    public static int Count => s_common.Value.Count;

    /// <summary>True when <paramref name="password"/> is on the list, or is one of its entries with up to four digits added.</summary>
    public static bool IsCommon(string password)
    {
        var text = password.Trim().ToLowerInvariant();
        var stem = text.TrimEnd("0123456789".ToCharArray());
        return s_common.Value.Contains(text) || (text.Length - stem.Length <= 4 && stem.Length > 0 && s_common.Value.Contains(stem));
    }

    public Task<IdentityResult> ValidateAsync(UserManager<StudioUser> manager, StudioUser user, string? password)
    {
        if (password is null) return Task.FromResult(IdentityResult.Success);
        if (IsCommon(password) || string.Equals(password.Trim(), user.UserName, StringComparison.OrdinalIgnoreCase))
            return Task.FromResult(IdentityResult.Failed(new IdentityError
            {
                Code = "CommonPassword",
                Description = $"This password is one of the {Count:N0} most common ones, a variant of one, or the account's name: " +
                              "choose another (a few unrelated words make a strong one).",
            }));
        return Task.FromResult(IdentityResult.Success);
    }

    private static HashSet<string> Load()
    {
        using var stream = typeof(Zxcvbn.Zxcvbn).Assembly.GetManifestResourceStream(ListResource)
                           ?? throw new InvalidOperationException($"The common-password list ({ListResource}) is missing from zxcvbn-core.");
        using var reader = new StreamReader(stream);
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
            if (line.Trim() is { Length: > 0 } entry) set.Add(entry.ToLowerInvariant());
        return set;
    }
}
