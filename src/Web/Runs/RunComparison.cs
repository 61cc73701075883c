using ProCo.Training.Engine;

namespace ProCo.Web.Runs;

/// <summary>A field whose value differs among compared runs.</summary>
/// <param name="Field">The configuration field (its JSON name).</param>
/// <param name="Values">Its value in each run, in the runs' order: "(none)" for an empty value, "–" where a run lacks the field.</param>
public sealed record ConfigDifference(string Field, IReadOnlyList<string> Values);

/// <summary>Runs side by side: their summaries in the order asked for, where their configurations differ, and which differ only in seeds.</summary>
/// <param name="Runs">The runs found, in the order asked for (an unknown id is left out).</param>
/// <param name="Differences">Fields whose values differ (<see cref="Differ"/>).</param>
/// <param name="SeedGroups">Runs that differ only in seeds (<see cref="global::ProCo.Web.Runs.SeedGroups"/>); a run alone is a group of one.</param>
public sealed record RunComparison(IReadOnlyList<RunSummary> Runs, IReadOnlyList<ConfigDifference> Differences, IReadOnlyList<SeedGroup> SeedGroups)
{
    /// <summary>Compares the runs given with their stored configurations.</summary>
    public static RunComparison Of(IReadOnlyList<(RunSummary Run, string ConfigJson)> runs) =>
        new([.. runs.Select(r => r.Run)], Differ([.. runs.Select(r => r.ConfigJson)]), global::ProCo.Web.Runs.SeedGroups.Of(runs));

    /// <summary>
    /// Training fields whose values differ among the configurations that have them ("–" where a run lacks the
    /// field): an imported log records only a few fields, and a field it lacks is unknown, not different. What only an
    /// import records (its source, its folder) is no training field and no difference.
    /// </summary>
    public static IReadOnlyList<ConfigDifference> Differ(IReadOnlyList<string> configs)
    {
        var parsed = configs.Select(json => ConfigFields.Of(json) ?? []).ToList();
        var training = ConfigSchema.Fields.Select(f => f.Name).ToHashSet();
        return [.. parsed.SelectMany(p => p.Keys).Distinct().Where(training.Contains)
            .Select(field => new ConfigDifference(field, [.. parsed.Select(p => p.TryGetValue(field, out var v) ? (v.Length == 0 ? "(none)" : v) : "–")]))
            .Where(row => row.Values.Where(v => v != "–").Distinct().Count() > 1)];
    }
}
