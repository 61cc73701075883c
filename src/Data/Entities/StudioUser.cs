using Microsoft.AspNetCore.Identity;

namespace ProCo.Data.Entities;

/// <summary>An account of ProCo Studio (ASP.NET Core Identity's user, stored in the run database).</summary>
public class StudioUser : IdentityUser
{
    public DateTimeOffset CreatedAt { get; set; }

    public List<ApiToken> Tokens { get; set; } = [];
}
