using ProCo.Web.Runs;

namespace ProCo.Web.Live;

/// <summary>Options of the live path (<c>ProCo:Live</c>).</summary>
public sealed class LiveOptions
{
    public const string Section = "ProCo:Live";

    /// <summary>Stamp each live point with the time the trainer reported it (for the UI benchmark's step-to-browser latency).</summary>
    public bool StampPoints { get; set; }

    /// <summary>Runs one browser connection may watch at once.</summary>
    public int MaxSubscriptionsPerConnection { get; set; } = 64;

    /// <summary>How often each open hub connection's sign-in is checked again (seconds).</summary>
    public double RevalidateSeconds { get; set; } = 30;
}
