using ProCo.Data.Entities;

namespace ProCo.Web.Live;

/// <summary>What changed on a run row (status, what it allows, progress, summary).</summary>
public sealed record RunMessage(long RunId, RunStatus Status, bool Live, double Progress, int CompletedEpochs, int Epochs,
    double? BestTop1, double? LastTop1, double? LastMany, double? LastMedium, double? LastFew, string? Error);
