namespace ProCo.Web.Runs;

/// <summary>Accounts: off, a server on loopback is open to whoever uses this machine; on, every request signs in.</summary>
public sealed class AuthOptions
{
    /// <summary>Sign-in required (cookie for the browser, API tokens for scripts and the CLI). Required to listen beyond loopback.</summary>
    public bool Enabled { get; set; }
}
