namespace ProCo.Data;

/// <summary>Reduces a series for display without losing its extremes.</summary>
public static class Downsampling
{
    /// <summary>
    /// At most <paramref name="maxPoints"/> points: the series is cut into buckets of equal length and
    /// each bucket keeps its minimum and its maximum (in step order), plus the first and last point,
    /// so a spike always survives. Shorter series are returned whole.
    /// </summary>
    public static (long[] Steps, double[] Values) MinMax(IReadOnlyList<long> steps, IReadOnlyList<double> values, int maxPoints)
    {
        var n = steps.Count;
        if (n <= maxPoints || maxPoints < 4) return (steps.ToArray(), values.ToArray());
        var buckets = (maxPoints - 2) / 2;
        var keep = new List<int>(maxPoints) { 0 };
        var size = (double)(n - 2) / buckets;
        for (var b = 0; b < buckets; b++)
        {
            var start = 1 + (int)(b * size);
            var end = Math.Min(n - 1, 1 + (int)((b + 1) * size));
            if (start >= end) continue;
            int min = start, max = start;
            for (var i = start + 1; i < end; i++)
            {
                // NaN never wins a comparison, so a bucket's extremes are its finite ones.
                if (values[i] < values[min] || double.IsNaN(values[min])) min = i;
                if (values[i] > values[max] || double.IsNaN(values[max])) max = i;
            }
            keep.Add(Math.Min(min, max));
            if (max != min) keep.Add(Math.Max(min, max));
        }
        keep.Add(n - 1);
        return (keep.Select(i => steps[i]).ToArray(), keep.Select(i => values[i]).ToArray());
    }
}
