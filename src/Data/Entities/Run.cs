namespace ProCo.Data.Entities;

/// <summary>One training run: its configuration, where it stands, and a summary of its results.</summary>
public class Run
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    /// <summary>proco, la or ce.</summary>
    public string Method { get; set; } = "proco";
    /// <summary>Dataset key: fashion-mnist, cifar10, cifar100.</summary>
    public string Dataset { get; set; } = "";
    /// <summary>Smallest class count over largest, e.g. 0.01 for "imbalance 100".</summary>
    public double ImbalanceFactor { get; set; }
    public int Epochs { get; set; }
    /// <summary>The full resolved training configuration as JSON.</summary>
    public string ConfigJson { get; set; } = "{}";
    /// <summary>Comma-separated free tags.</summary>
    public string Tags { get; set; } = "";
    /// <summary>The researcher's notes on the run, in Markdown (at most <see cref="MaxNotesLength"/> characters).</summary>
    public string Notes { get; set; } = "";

    /// <summary>Longest notes a run keeps.</summary>
    public const int MaxNotesLength = 20_000;
    public RunStatus Status { get; set; } = RunStatus.Queued;
    /// <summary>True for runs imported from TensorBoard logs: read-only.</summary>
    public bool IsImported { get; set; }
    /// <summary>Fingerprint of the imported files (so importing them again does not duplicate).</summary>
    public string? ImportKey { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>Epochs completed so far.</summary>
    public int CompletedEpochs { get; set; }
    /// <summary>0..1 over the whole schedule.</summary>
    public double Progress { get; set; }
    /// <summary>The worker holding the run while it trains (cleared when it stops).</summary>
    public string? Worker { get; set; }
    /// <summary>The worker that last took the run, kept after it stops: where it trained.</summary>
    public string? TrainedBy { get; set; }
    /// <summary>Until when the worker holding the run is trusted to be alive.</summary>
    public DateTimeOffset? LeaseUntil { get; set; }
    public string? JobId { get; set; }
    /// <summary>The sweep it was queued with, if any.</summary>
    public long? SweepId { get; set; }
    /// <summary>Hangfire queue the run's jobs go to (cpu or gpu).</summary>
    public string Queue { get; set; } = "cpu";
    /// <summary>Set by a cancel; the worker holding the run stops at its next step.</summary>
    public bool CancelRequested { get; set; }
    /// <summary>How many times a worker has claimed the run (1 for a run trained in one go).</summary>
    public int Attempts { get; set; }
    /// <summary>Optimisation steps per epoch, known once training starts (maps steps to epochs).</summary>
    public int StepsPerEpoch { get; set; }
    /// <summary>The precision training computes in (fp32, bf16, fp16), known once training starts: the configured one with auto resolved on the worker, or the one a resumed run started in.</summary>
    public string? Precision { get; set; }
    /// <summary>The device training runs on (cpu, cuda:N), known once training starts: the configured one with auto resolved by the worker.</summary>
    public string? Device { get; set; }
    public string? Error { get; set; }
    public double? BestTop1 { get; set; }
    public double? LastTop1 { get; set; }
    public double? LastMany { get; set; }
    public double? LastMedium { get; set; }
    public double? LastFew { get; set; }
    /// <summary>Top-1 on the test split of the model of the best validation epoch (a dataset with a validation split), once the run completes.</summary>
    public double? TestTop1 { get; set; }

    public List<Checkpoint> Checkpoints { get; set; } = [];
    public List<RunEvent> Events { get; set; } = [];
}
