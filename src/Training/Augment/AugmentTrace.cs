namespace ProCo.Training.Augment;

/// <summary>
/// What an augmentation drew, image by image, under a name per parameter: the crop's offset and box, whether a
/// flip, an AutoAugment or RandAugment operation, the colour jitter or the grayscale fired, and with what factor,
/// level or sign. A test holds the distribution of each against the public pipeline's
/// (<c>AugmentDistributionTests</c>); training passes none.
/// </summary>
public sealed class AugmentTrace
{
    private readonly Dictionary<string, List<double>> _values = new(StringComparer.Ordinal);

    /// <summary>Every value recorded, by name, in the order drawn.</summary>
    public IReadOnlyDictionary<string, List<double>> Values => _values;

    /// <summary>Records one draw of <paramref name="name"/>.</summary>
    public void Record(string name, double value)
    {
        if (!_values.TryGetValue(name, out var list)) _values[name] = list = [];
        list.Add(value);
    }
}
