using ProCo.Data;

namespace ProCo.Web.Tests;

public class DownsamplingTests
{
    [Fact]
    public void MinMax_KeepsEverySpikeAndTheEnds_WithinTheBudget()
    {
        var steps = Enumerable.Range(1, 100_000).Select(i => (long)i).ToArray();
        var values = steps.Select(s => Math.Sin(s / 500.0)).ToArray();
        values[12_345] = 50;   // a spike up
        values[87_654] = -40;  // and one down
        var (keptSteps, keptValues) = Downsampling.MinMax(steps, values, 1000);
        Assert.True(keptSteps.Length <= 1000);
        Assert.Contains(50.0, keptValues);
        Assert.Contains(-40.0, keptValues);
        Assert.Equal(1, keptSteps[0]);
        Assert.Equal(100_000, keptSteps[^1]);
        Assert.Equal(keptSteps.Order(), keptSteps);
    }

    [Fact]
    public void MinMax_OfAShortSeries_ReturnsItWhole()
    {
        var (steps, values) = Downsampling.MinMax([1, 2, 3], [0.5, 0.25, 0.125], 1000);
        Assert.Equal([1L, 2, 3], steps);
        Assert.Equal([0.5, 0.25, 0.125], values);
    }
}
