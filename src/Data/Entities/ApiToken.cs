namespace ProCo.Data.Entities;

/// <summary>
/// A token for the API, the CLI and the live hub. Only its SHA-256 is stored: the token itself is
/// shown once, when it is created. It acts with its user's role at the time of each request.
/// </summary>
public class ApiToken
{
    public long Id { get; set; }
    public string UserId { get; set; } = "";
    /// <summary>What the token is for ("laptop", "ci").</summary>
    public string Name { get; set; } = "";
    /// <summary>Lower-case hex SHA-256 of the whole token.</summary>
    public string Hash { get; set; } = "";
    /// <summary>The token's first characters, to tell tokens apart in lists.</summary>
    public string Prefix { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
}
