using System.Globalization;

namespace ProCo.Web.Runs;

/// <summary>Runs that differ only in their seeds, shown as one: their ids, a label, and each summary value's mean and spread.</summary>
/// <param name="Ids">The members, in the order given.</param>
/// <param name="Label">The first member's name and the seeds, e.g. "proco α 1 (seeds 0, 1, 2)".</param>
public sealed record SeedGroup(IReadOnlyList<long> Ids, string Label);

/// <summary>Mean, sample standard deviation, minimum and maximum of a value over a group's runs that have it.</summary>
public sealed record Spread(double Mean, double StandardDeviation, double Min, double Max, int Count)
{
    public static Spread? Of(IEnumerable<double?> values)
    {
        var xs = values.Where(v => v is { } x && double.IsFinite(x)).Select(v => v!.Value).ToList();
        if (xs.Count == 0) return null;
        var mean = xs.Average();
        var sd = xs.Count > 1 ? Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Count - 1)) : 0;
        return new Spread(mean, sd, xs.Min(), xs.Max(), xs.Count);
    }
}

/// <summary>
/// The seed-group rule: runs in the same state whose configurations are equal once their seeds
/// (seed and subsetSeed) and the fields that do not change what is learned (device, loader threads,
/// evaluation batch size) are left out form a group. A run still training or one that failed is not
/// averaged with finished ones. Imported logs record too little to be grouped unless their records
/// are the same.
/// </summary>
public static class SeedGroups
{
    /// <summary>Configuration fields a group's members may differ in.</summary>
    public static readonly IReadOnlySet<string> IgnoredFields = new HashSet<string>(StringComparer.Ordinal)
    {
        "seed", "subsetSeed", "device", "loaderThreads", "evalBatchSize",
    };

    /// <summary>Groups in the order of their first member; a run alone is a group of one.</summary>
    public static List<SeedGroup> Of(IReadOnlyList<(RunSummary Run, string ConfigJson)> runs)
    {
        var groups = new List<(string Key, List<(RunSummary Run, string Seed)> Members)>();
        foreach (var (run, json) in runs)
        {
            var (config, seed) = KeyOf(json);
            var key = $"{run.Status}\n{config}";
            var group = groups.FirstOrDefault(g => g.Key == key);
            if (group.Members is null) groups.Add((key, [(run, seed)]));
            else group.Members.Add((run, seed));
        }
        return groups.Select(g => new SeedGroup(g.Members.Select(m => m.Run.Id).ToList(),
            g.Members.Count == 1 ? g.Members[0].Run.Name : $"{g.Members[0].Run.Name} (seeds {string.Join(", ", g.Members.Select(m => m.Seed))})")).ToList();
    }

    // The configuration without the fields members may differ in, in name order (field order does not
    // matter), and the seed as shown; a configuration that is no JSON object is its own key.
    private static (string Key, string Seed) KeyOf(string json)
    {
        if (ConfigFields.Of(json) is not { } fields) return (json, "?");
        var rest = fields.Where(f => !IgnoredFields.Contains(f.Key)).OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}={f.Value}");
        return (string.Join('\n', rest), fields.GetValueOrDefault("seed", "?"));
    }

    /// <summary>"49.40 ± 0.52": mean and standard deviation to two decimals.</summary>
    public static string Format(Spread spread) =>
        string.Create(CultureInfo.InvariantCulture, $"{spread.Mean:F2} ± {spread.StandardDeviation:F2}");
}
