namespace ProCo.Training.Datasets;

/// <summary>How class counts fall from head to tail.</summary>
public enum ImbalanceProfile
{
    /// <summary>count_i = ⌊n_max · f^(i/(C−1))⌋ (the CIFAR-LT benchmark).</summary>
    Exponential,
    /// <summary>The first ⌊C/2⌋ classes keep n_max, the rest get ⌊n_max · f⌋.</summary>
    Step,
}

/// <summary>Long-tailed training subsets with the published class counts.</summary>
public static class LongTail
{
    /// <summary>Parses "exp"/"exponential" or "step".</summary>
    public static ImbalanceProfile ParseProfile(string text) => text.Trim().ToLowerInvariant() switch
    {
        "exp" or "exponential" => ImbalanceProfile.Exponential,
        "step" => ImbalanceProfile.Step,
        _ => throw new ArgumentException($"Unknown imbalance profile '{text}': use exp or step."),
    };

    /// <summary>
    /// Per-class image counts. <paramref name="imbalanceFactor"/> is smallest over largest (0.01 means
    /// "imbalance 100"); 1 keeps every class at <paramref name="perClass"/>.
    /// </summary>
    public static int[] Counts(int perClass, int classes, double imbalanceFactor, ImbalanceProfile profile)
    {
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), "A long-tailed subset needs at least two classes.");
        if (!(imbalanceFactor > 0 && imbalanceFactor <= 1))
            throw new ArgumentOutOfRangeException(nameof(imbalanceFactor), imbalanceFactor,
                "The imbalance factor is smallest over largest class, in (0, 1]: 0.01 for imbalance 100.");
        var counts = new int[classes];
        for (var i = 0; i < classes; i++)
        {
            counts[i] = profile == ImbalanceProfile.Exponential
                ? (int)(perClass * System.Math.Pow(imbalanceFactor, i / (classes - 1.0)))
                : i < classes / 2 ? perClass : (int)(perClass * imbalanceFactor);
        }
        return counts;
    }

    /// <summary>
    /// Draws the long-tailed subset: for class i, the first counts[i] of its images after a seeded
    /// shuffle. Class c keeps the source's c-th most frequent position (class 0 is the head).
    /// </summary>
    /// <param name="source">The balanced training set.</param>
    /// <param name="imbalanceFactor">Smallest over largest class count.</param>
    /// <param name="profile">Exponential or step.</param>
    /// <param name="seed">Seed of the draw.</param>
    /// <param name="maxPerClass">Caps the head class (CPU demos); null keeps the dataset's own size.</param>
    /// <param name="reversed">Make the last class the head instead of the first (to separate class size from class identity).</param>
    /// <param name="publicDraw">
    /// Draw as the public ProCo code does (numpy's legacy generator seeded once with 0, each class
    /// shuffled in turn), keeping exactly its images; <paramref name="seed"/> is then not used.
    /// </param>
    public static T Subset<T>(T source, double imbalanceFactor, ImbalanceProfile profile, int seed,
        int? maxPerClass = null, bool reversed = false, bool publicDraw = false) where T : IImageSplit<T>
    {
        var available = source.ClassCounts();
        var perClass = (int)System.Math.Min(available.Min(), maxPerClass ?? int.MaxValue);
        var counts = Counts(perClass, source.NumClasses, imbalanceFactor, profile);
        var kept = Enumerable.Range(0, source.NumClasses).Select(c => counts[reversed ? source.NumClasses - 1 - c : c]).ToArray();
        Action<int[]> shuffle = publicDraw ? new Numerics.NumpyRandomState(0).Shuffle : new Random(seed).Shuffle;
        var chosen = DrawByClass(source.Labels, source.NumClasses, kept, shuffle).SelectMany(c => c).ToList();
        chosen.Sort();
        var draw = publicDraw ? "the public code's numpy draw" : $"seed {seed}";
        return source.Subset(chosen, $"{source.Name} LT({1 / imbalanceFactor:0.##}, {profile.ToString().ToLowerInvariant()}, {draw})");
    }

    /// <summary>The kept indices of each class under the public code's draw, in the order it leaves them (for comparison with numpy's).</summary>
    public static List<int[]> PublicDrawByClass(IReadOnlyList<int> labels, int classes, int[] counts) =>
        DrawByClass(labels.Select(l => (long)l).ToArray(), classes, counts, new Numerics.NumpyRandomState(0).Shuffle);

    // For each class in label order: its indices in ascending order, shuffled, the first counts[c] kept.
    private static List<int[]> DrawByClass(long[] labels, int classes, int[] counts, Action<int[]> shuffle)
    {
        var result = new List<int[]>();
        for (var c = 0; c < classes; c++)
        {
            var indices = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).ToArray();
            shuffle(indices);
            result.Add(indices.Take(counts[c]).ToArray());
        }
        return result;
    }

    /// <summary>The first <paramref name="perClass"/> images of every class, in file order (a balanced subset).</summary>
    public static T Balanced<T>(T source, int perClass) where T : IImageSplit<T>
    {
        var taken = new int[source.NumClasses];
        var chosen = new List<int>();
        for (var i = 0; i < source.Count; i++)
        {
            if (taken[source.Labels[i]]++ < perClass) chosen.Add(i);
        }
        return source.Subset(chosen, $"{source.Name} ({perClass} per class)");
    }
}
