using ProCo.Data.Entities;
using ProCo.Training.Engine;

namespace ProCo.Web.Api;

/// <summary>A run as listed.</summary>
public sealed record RunSummary(
    long Id, string Name, string Status, string Method, string Dataset, double ImbalanceFactor, int Epochs,
    int CompletedEpochs, double Progress, double? EtaSeconds, double? BestTop1, double? LastTop1, double? LastMany,
    double? LastMedium, double? LastFew, IReadOnlyList<string> Tags, bool IsImported, DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? Error)
{
    public static RunSummary From(Run run) => new(
        run.Id, run.Name, run.Status.ToString(), run.Method, run.Dataset, run.ImbalanceFactor, run.Epochs,
        run.CompletedEpochs, run.Progress, Eta(run), run.BestTop1, run.LastTop1, run.LastMany, run.LastMedium, run.LastFew,
        SplitTags(run.Tags), run.IsImported, run.CreatedAt, run.StartedAt, run.FinishedAt, run.Error);

    public static IReadOnlyList<string> SplitTags(string tags) =>
        tags.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    // Remaining time from the pace so far (a run that resumed counts from its first start).
    private static double? Eta(Run run)
    {
        if (run.Status != RunStatus.Running || run.StartedAt is null || run.Progress <= 0 || run.Progress >= 1) return null;
        var elapsed = (DateTimeOffset.UtcNow - run.StartedAt.Value).TotalSeconds;
        return elapsed / run.Progress * (1 - run.Progress);
    }
}

/// <summary>Best and last value of one series.</summary>
public sealed record SeriesSummary(string Series, long Points, long LastStep, double? Last, double? Best);

/// <summary>A run with its configuration and the summary of every series.</summary>
public sealed record RunDetail(RunSummary Run, TrainingConfig? Config, string ConfigJson, IReadOnlyList<SeriesSummary> Series,
    string? Worker, int Attempts, int StepsPerEpoch, IReadOnlyList<string> ClassNames);

/// <summary>One series, possibly downsampled.</summary>
public sealed record SeriesData(string Series, long Total, long[] Steps, double?[] Values);

/// <summary>One per-class vector of one epoch.</summary>
public sealed record EpochVectorData(int Epoch, double[] Values);

/// <summary>A checkpoint as listed.</summary>
public sealed record CheckpointData(long Id, long RunId, int Epoch, string Kind, long SizeBytes, string Sha256, DateTimeOffset CreatedAt, string DownloadUrl)
{
    public static CheckpointData From(Checkpoint c) =>
        new(c.Id, c.RunId, c.Epoch, c.Kind, c.SizeBytes, c.Sha256, c.CreatedAt, $"/api/checkpoints/{c.Id}/download");
}

/// <summary>A page of runs.</summary>
public sealed record RunPage(int Total, int Page, int PageSize, IReadOnlyList<RunSummary> Items);

/// <summary>What an action did.</summary>
public sealed record ActionResult(long RunId, string Message);
