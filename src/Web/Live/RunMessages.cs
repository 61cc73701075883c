using ProCo.Data.Entities;

namespace ProCo.Web.Live;

/// <summary>Live messages made from run rows.</summary>
public static class RunMessages
{
    /// <summary>What a run row says now, with what its status allows.</summary>
    public static RunMessage From(Run run) => new(run.Id, run.Status, run.Status.IsLive(), run.Progress, run.CompletedEpochs, run.Epochs,
        run.BestTop1, run.LastTop1, run.LastMany, run.LastMedium, run.LastFew, run.Error);
}
