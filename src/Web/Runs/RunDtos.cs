using System.Globalization;
using System.Text.Json;
using ProCo.Data.Entities;
using ProCo.Training.Engine;

namespace ProCo.Web.Runs;

/// <summary>A run as listed, with what its status allows (<see cref="RunStatusRules"/>).</summary>
public sealed record RunSummary(
    long Id, string Name, RunStatus Status, string Method, string Dataset, double ImbalanceFactor, int Epochs,
    int CompletedEpochs, double Progress, double? EtaSeconds, double? BestTop1, double? LastTop1, double? LastMany,
    double? LastMedium, double? LastFew, IReadOnlyList<string> Tags, bool IsImported, DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? Error, string Recipe, string? Precision,
    bool Live, bool CanCancel, bool CanResume, bool CanDelete, double? TestTop1 = null, string? Device = null, long? SweepId = null,
    JsonElement? Config = null, string? Worker = null, int Attempts = 0)
{
    public static RunSummary From(Run run) => new(
        run.Id, run.Name, run.Status, run.Method, run.Dataset, run.ImbalanceFactor, run.Epochs,
        run.CompletedEpochs, run.Progress, EtaOf(run.Status, run.StartedAt, run.Progress), run.BestTop1, run.LastTop1, run.LastMany, run.LastMedium, run.LastFew,
        SplitTags(run.Tags), run.IsImported, run.CreatedAt, run.StartedAt, run.FinishedAt, run.Error, RecipeOf(run), run.Precision,
        run.Status.IsLive(), run.Status.CanCancel(run.IsImported), run.Status.CanResume(run.IsImported), run.Status.CanDelete(), run.TestTop1,
        run.Device, run.SweepId, ConfigFields.Element(run.ConfigJson), run.Worker ?? run.TrainedBy, run.Attempts);

    public static IReadOnlyList<string> SplitTags(string tags) =>
        tags.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Remaining seconds from the pace so far (a run that resumed counts from its first start); null unless running and under way.</summary>
    public static double? EtaOf(RunStatus status, DateTimeOffset? startedAt, double progress)
    {
        if (status != RunStatus.Running || startedAt is null || progress <= 0 || progress >= 1) return null;
        var elapsed = (DateTimeOffset.UtcNow - startedAt.Value).TotalSeconds;
        return elapsed / progress * (1 - progress);
    }

    // Key hyper-parameters at a glance: "resnet32 · bs 256 · lr 0.3 · α 1 · seed 0" (the encoder named as ModelSpec names it).
    private static string RecipeOf(Run run)
    {
        if (run.IsImported) return "imported";
        try
        {
            var c = TrainingConfig.FromJson(run.ConfigJson);
            return string.Create(CultureInfo.InvariantCulture, $"{ProCo.Training.Models.ModelSpec.EncoderOf(c)} · bs {c.BatchSize} · lr {c.LearningRate} · α {c.Alpha} · seed {c.Seed}");
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            return "";
        }
    }
}

/// <summary>Best (of the finite values) and last value of one series; JSON writes NaN and ±∞ as "NaN", "Infinity", "-Infinity".</summary>
public sealed record SeriesSummary(string Series, long Points, long LastStep, double Last, double? Best);

/// <summary>A run with its configuration and the summary of every series.</summary>
/// <param name="Waiting">Why a queued run has not started (no live worker for its device, or the runs ahead of it); null otherwise.</param>
public sealed record RunDetail(RunSummary Run, TrainingConfig? Config, string ConfigJson, IReadOnlyList<SeriesSummary> Series,
    string? Worker, int Attempts, int StepsPerEpoch, IReadOnlyList<string> ClassNames, string? Waiting, string Notes);

/// <summary>One series, possibly downsampled.</summary>
/// <param name="Series">Its name.</param>
/// <param name="Total">Points stored in the requested range.</param>
/// <param name="Steps">Steps of the points returned.</param>
/// <param name="Values">Their values; JSON writes NaN and ±∞ as "NaN", "Infinity", "-Infinity".</param>
public sealed record SeriesData(string Series, long Total, long[] Steps, double[] Values);

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

/// <summary>Metadata of a run that may change after the fact (imported runs take theirs from folder names).</summary>
public sealed record RunPatch(string? Name, IReadOnlyList<string>? Tags, string? Dataset, double? ImbalanceFactor, int? Epochs, string? Notes = null);
