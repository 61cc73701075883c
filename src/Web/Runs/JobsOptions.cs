namespace ProCo.Web.Runs;

/// <summary>The "ProCo:Jobs" configuration section.</summary>
public sealed class JobsOptions
{
    public const string Section = "ProCo:Jobs";

    /// <summary>A worker that has not renewed its lease for this long is taken for dead and its run requeued.</summary>
    public double LeaseSeconds { get; set; } = 30;

    /// <summary>How often a worker renews its lease and looks for a cancel request.</summary>
    public double RenewSeconds { get; set; } = 1;

    /// <summary>How often the lease monitor looks for runs of dead workers.</summary>
    public double MonitorSeconds { get; set; } = 5;

    /// <summary>
    /// Hangfire redelivers a job still running after this long. Our lease, not this timeout, detects
    /// dead workers, so it stays far beyond any run (tests shorten it to provoke a duplicate delivery).
    /// </summary>
    public double InvisibilityTimeoutHours { get; set; } = 24 * 30;

    /// <summary>How often a worker writes its heartbeat (and looks for datasets that appeared on its host).</summary>
    public double HeartbeatSeconds { get; set; } = 5;

    /// <summary>A worker silent this long is gone: not listed, not counted by the reasons a run waits.</summary>
    public double WorkerSilenceSeconds { get; set; } = 60;

    /// <summary>How often Hangfire's storage is polled for new jobs.</summary>
    public double QueuePollSeconds { get; set; } = 1;

    /// <summary>Pause before a refused batch of metric points is tried again (doubled before the last try).</summary>
    public double WriteRetrySeconds { get; set; } = 0.5;
}

/// <summary>Who this process is, as recorded on the runs it trains.</summary>
public sealed class WorkerIdentity
{
    public WorkerIdentity() => Name = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>host:pid:nonce.</summary>
    public string Name { get; }

    /// <summary>True when <paramref name="worker"/> names a process on this host that no longer exists.</summary>
    public bool IsDeadLocalProcess(string? worker)
    {
        if (worker is null) return false;
        var parts = worker.Split(':');
        if (parts.Length < 2 || parts[0] != Environment.MachineName || !int.TryParse(parts[1], out var pid)) return false;
        // Our own pid under another name: a process before us had it and is gone.
        if (pid == Environment.ProcessId) return !worker.Equals(Name, StringComparison.Ordinal);
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true; // no such process
        }
    }
}
