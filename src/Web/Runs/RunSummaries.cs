using Microsoft.EntityFrameworkCore;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Training.Engine;

namespace ProCo.Web.Runs;

/// <summary>
/// The run columns that summarise its series (best and last top-1, last many / medium / few, the
/// epochs a log holds): filled at each epoch end of a trained run and from the stored series of an
/// imported one, by one rule.
/// </summary>
public static class RunSummaries
{
    /// <summary>Updates the columns with one epoch's values (non-finite values count as missing: the columns stay finite).</summary>
    public static void ApplyEpoch(Run run, IReadOnlyDictionary<string, double> values)
    {
        double? Finite(string series) => values.TryGetValue(series, out var x) && double.IsFinite(x) ? x : null;
        var top1 = Finite(Series.ValTop1);
        run.LastTop1 = top1;
        run.BestTop1 = top1 is null ? run.BestTop1 : Math.Max(run.BestTop1 ?? double.MinValue, top1.Value);
        run.LastMany = Finite(Series.ValMany);
        run.LastMedium = Finite(Series.ValMedium);
        run.LastFew = Finite(Series.ValFew);
    }

    /// <summary>Records the final test of the model chosen on the validation split.</summary>
    public static void ApplyTest(Run run, IReadOnlyDictionary<string, double> values) =>
        run.TestTop1 = values.TryGetValue(Series.TestTop1, out var x) && double.IsFinite(x) ? x : null;

    /// <summary>Sets the columns from the run's stored series (an imported log); the epochs it holds are its top-1 points.</summary>
    public static async Task FromStoredSeriesAsync(ProCoDbContext db, Run run, CancellationToken cancellationToken)
    {
        var summaries = (await RunQueries.SeriesSummariesAsync(db, run.Id, cancellationToken)).ToDictionary(s => s.Series);
        var top1 = summaries.GetValueOrDefault(Series.ValTop1);
        double? Last(string series) => summaries.GetValueOrDefault(series)?.Last is { } last && double.IsFinite(last) ? last : null;
        run.BestTop1 = top1?.Best;
        run.LastTop1 = Last(Series.ValTop1);
        run.LastMany = Last(Series.ValMany);
        run.LastMedium = Last(Series.ValMedium);
        run.LastFew = Last(Series.ValFew);
        run.TestTop1 = Last(Series.TestTop1);
        run.CompletedEpochs = (int)(top1?.Points ?? 0);
        if (run.Epochs == 0) run.Epochs = run.CompletedEpochs;
    }
}
