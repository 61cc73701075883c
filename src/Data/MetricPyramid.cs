namespace ProCo.Data;

/// <summary>
/// The geometry of a series' summary pyramid: level L cuts the step axis into buckets of
/// W = 32 × 2^L steps, bucket b holding steps [b × W, (b + 1) × W), so bucket b of level L is buckets
/// 2b and 2b + 1 of level L − 1. Level 0 is built from the points, every level above from the one below.
/// </summary>
public static class MetricPyramid
{
    /// <summary>Steps per bucket at level 0.</summary>
    public const long BaseWidth = 32;

    /// <summary>The coarsest level any series needs (buckets of 2^62 steps: at most four span every long).</summary>
    public const int MaxLevel = 57;

    /// <summary>Steps per bucket at a level.</summary>
    public static long Width(int level) => BaseWidth << level;

    /// <summary>The bucket of a step at a level (floor division, so negative steps fall in negative buckets).</summary>
    public static long BucketOf(long step, int level)
    {
        var width = Width(level);
        var bucket = step / width;
        return step % width < 0 ? bucket - 1 : bucket;
    }

    /// <summary>The first step of a bucket.</summary>
    public static long Start(long bucket, int level) => bucket * Width(level);

    /// <summary>The last step of a bucket (no overflow at the ends of the step range).</summary>
    public static long End(long bucket, int level)
    {
        var start = Start(bucket, level);
        var width = Width(level);
        return start > long.MaxValue - (width - 1) ? long.MaxValue : start + (width - 1);
    }

    /// <summary>The coarsest level a series over these steps needs: the first whose one bucket holds them all.</summary>
    public static int TopLevel(long first, long last)
    {
        for (var level = 0; level < MaxLevel; level++)
            if (BucketOf(first, level) == BucketOf(last, level)) return level;
        return MaxLevel;
    }

    /// <summary>Buckets a step range spans at a level.</summary>
    public static long BucketsSpanned(long from, long to, int level) => BucketOf(to, level) - BucketOf(from, level) + 1;

    /// <summary>
    /// The finest level at which [from, to] spans at most <paramref name="buckets"/> buckets, no coarser
    /// than <paramref name="topLevel"/> (which it answers when none is coarse enough).
    /// </summary>
    public static int LevelFor(long from, long to, long buckets, int topLevel)
    {
        for (var level = 0; level < topLevel; level++)
            if (BucketsSpanned(from, to, level) <= buckets) return level;
        return topLevel;
    }
}

/// <summary>
/// The summary of a run of points in step order: count, first and last step, the extremes with their
/// steps (ties go to the earliest step; NaN never an extreme, ±∞ are) and the finite extremes.
/// </summary>
public struct PointSummary
{
    public long Count { get; set; }
    public long FirstStep { get; set; }
    public long LastStep { get; set; }
    public long? MinStep { get; set; }
    public double? MinValue { get; set; }
    public long? MaxStep { get; set; }
    public double? MaxValue { get; set; }
    public double? FiniteMin { get; set; }
    public double? FiniteMax { get; set; }

    /// <summary>Adds the next point (steps ascending); null or NaN values count but are never extremes.</summary>
    public void Add(long step, double? value)
    {
        if (Count == 0) FirstStep = step;
        Count++;
        LastStep = step;
        if (value is not { } v || double.IsNaN(v)) return;
        if (MinValue is null || v < MinValue) (MinStep, MinValue) = (step, v);
        if (MaxValue is null || v > MaxValue) (MaxStep, MaxValue) = (step, v);
        if (double.IsFinite(v))
        {
            if (FiniteMin is null || v < FiniteMin) FiniteMin = v;
            if (FiniteMax is null || v > FiniteMax) FiniteMax = v;
        }
    }

    /// <summary>Adds the summary of the points that follow these (steps ascending).</summary>
    public void Merge(in PointSummary next)
    {
        if (next.Count == 0) return;
        if (Count == 0)
        {
            this = next;
            return;
        }
        Count += next.Count;
        LastStep = next.LastStep;
        if (next.MinValue is { } min && (MinValue is null || min < MinValue)) (MinStep, MinValue) = (next.MinStep, min);
        if (next.MaxValue is { } max && (MaxValue is null || max > MaxValue)) (MaxStep, MaxValue) = (next.MaxStep, max);
        if (next.FiniteMin is { } fmin && (FiniteMin is null || fmin < FiniteMin)) FiniteMin = fmin;
        if (next.FiniteMax is { } fmax && (FiniteMax is null || fmax > FiniteMax)) FiniteMax = fmax;
    }
}
