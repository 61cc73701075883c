using ProCo.Training.Datasets;

namespace ProCo.Training.Tests;

public class LongTailGoldenTests
{
    [Fact]
    public void Counts_MatchThePublishedSubsetsExactly()
    {
        var cases = 0;
        foreach (var c in Golden.Cases("long_tail.json").EnumerateArray())
        {
            var counts = LongTail.Counts(c.GetProperty("per_class").GetInt32(), c.GetProperty("classes").GetInt32(),
                c.GetProperty("imbalance_factor").GetDouble(), LongTail.ParseProfile(c.GetProperty("profile").GetString()!));
            Assert.Equal(c.GetProperty("counts").Ints(), counts);
            Assert.Equal(c.GetProperty("total").GetInt32(), counts.Sum());
            cases++;
        }
        Assert.True(cases > 0);
    }

    [Fact]
    public void ShotSplit_MatchesGolden()
    {
        var cases = 0;
        foreach (var c in Golden.Cases("shot_split.json").EnumerateArray())
        {
            var split = ShotAccuracy.From(c.GetProperty("counts").Ints().Select(x => (long)x).ToArray(),
                c.GetProperty("per_class_accuracy").Doubles());
            Golden.Near(c.GetProperty("many").GetDouble(), split.Many, 1e-12, $"case {cases} many");
            Golden.Near(c.GetProperty("medium").GetDouble(), split.Medium, 1e-12, $"case {cases} medium");
            Golden.Near(c.GetProperty("few").GetDouble(), split.Few, 1e-12, $"case {cases} few");
            Assert.Equal(c.GetProperty("n_many").GetInt32(), split.ManyClasses);
            Assert.Equal(c.GetProperty("n_medium").GetInt32(), split.MediumClasses);
            Assert.Equal(c.GetProperty("n_few").GetInt32(), split.FewClasses);
            cases++;
        }
        Assert.True(cases > 0);
    }

    [Fact]
    public void Subset_DrawsThePublishedCountsFromASeedAndIsReproducible()
    {
        // 10 classes x 60 images of 1x2x2 pixels whose first byte records the source index.
        var labels = Enumerable.Range(0, 600).Select(i => (long)(i % 10)).ToArray();
        var pixels = new byte[600 * 4];
        for (var i = 0; i < 600; i++) pixels[i * 4] = (byte)(i / 10);
        var source = new ImageDataset("toy", pixels, labels, 1, 2, 2, Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray());

        var a = LongTail.Subset(source, 0.1, ImbalanceProfile.Exponential, seed: 3);
        var b = LongTail.Subset(source, 0.1, ImbalanceProfile.Exponential, seed: 3);
        var other = LongTail.Subset(source, 0.1, ImbalanceProfile.Exponential, seed: 4);

        Assert.Equal(LongTail.Counts(60, 10, 0.1, ImbalanceProfile.Exponential).Select(x => (long)x), a.ClassCounts());
        Assert.Equal(a.Pixels, b.Pixels);
        Assert.NotEqual(a.Pixels, other.Pixels);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.5)]
    [InlineData(-0.01)]
    public void Counts_RejectAFactorOutsideZeroToOne(double factor) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => LongTail.Counts(500, 100, factor, ImbalanceProfile.Exponential));
}
