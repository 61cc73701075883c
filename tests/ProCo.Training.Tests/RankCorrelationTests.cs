using ProCo.Training.Numerics;

namespace ProCo.Training.Tests;

public sealed class RankCorrelationTests
{
    [Fact]
    public void Spearman_IsOneForAnyIncreasingRelation_AndMinusOneForADecreasingOne()
    {
        double[] counts = [1000, 599, 359, 215, 129, 77, 46, 27, 16, 10];
        Assert.Equal(1, RankCorrelation.Spearman(counts, counts.Select(c => Math.Log(c)).ToArray()), 12);
        Assert.Equal(-1, RankCorrelation.Spearman(counts, counts.Select(c => 1 / c).ToArray()), 12);
    }

    [Fact]
    public void Spearman_GivesTiesTheirMeanRank()
    {
        // Ranks of y: 1, 2, 3.5, 5, 3.5 against 1..5: rank covariance 8 over sqrt(10 * 9.5).
        Assert.Equal(8 / Math.Sqrt(10 * 9.5), RankCorrelation.Spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]), 12);
    }

    [Fact]
    public void Spearman_OfAConstantSide_IsNaN_AndUnpairedValuesAreRefused()
    {
        Assert.True(double.IsNaN(RankCorrelation.Spearman([1, 2, 3], [0, 0, 0])));
        Assert.Throws<ArgumentException>(() => RankCorrelation.Spearman([1, 2, 3], [1, 2]));
    }
}
