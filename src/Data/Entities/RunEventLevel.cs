namespace ProCo.Data.Entities;

/// <summary>How a line of a run's console reads: stored as its word ("info", "progress", "checkpoint", "warning", "error").</summary>
public enum RunEventLevel
{
    /// <summary>What happened: queued, started, finished.</summary>
    Info,

    /// <summary>Where training is: the periodic progress line and each epoch's summary.</summary>
    Progress,

    /// <summary>A checkpoint was written (and stored with everything before it): the run can resume from it, and pages showing the run list it.</summary>
    Checkpoint,

    /// <summary>Something to look at that did not stop the run (an unreadable image skipped, a worker taken for dead).</summary>
    Warning,

    /// <summary>What stopped the run.</summary>
    Error,
}

/// <summary>The words of <see cref="RunEventLevel"/>, as the database and the browser hold them.</summary>
public static class RunEventLevels
{
    /// <summary>Every level's word, in order.</summary>
    public static readonly IReadOnlyList<string> Words = [.. Enum.GetValues<RunEventLevel>().Select(Word)];

    /// <summary>"info", "progress", "checkpoint", "warning" or "error".</summary>
    public static string Word(this RunEventLevel level) => level switch
    {
        RunEventLevel.Info => "info",
        RunEventLevel.Progress => "progress",
        RunEventLevel.Checkpoint => "checkpoint",
        RunEventLevel.Warning => "warning",
        RunEventLevel.Error => "error",
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, null),
    };

    /// <summary>The level a word names (case-insensitive); info for a word it does not know.</summary>
    public static RunEventLevel Parse(string? word) =>
        Enum.GetValues<RunEventLevel>().FirstOrDefault(l => string.Equals(l.Word(), word, StringComparison.OrdinalIgnoreCase));

    /// <summary>Warnings and errors: what the console's "problems only" filter keeps.</summary>
    public static bool IsProblem(this RunEventLevel level) => level is RunEventLevel.Warning or RunEventLevel.Error;
}
