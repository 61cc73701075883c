using System.Text.Json;
using ProCo.Training.Engine;
using ProCo.Web.Runs;

namespace ProCo.Web.Tests;

/// <summary>The runs table's filter by configuration fields ("alpha >= 0.5, seed = 1") on runs as the list holds them.</summary>
public class ConfigFilterTests
{
    private static RunSummary Run(long id, TrainingConfig config) => RunSummary.From(new ProCo.Data.Entities.Run
    {
        Id = id, Name = $"run {id}", Method = config.Method, Dataset = config.Dataset, ImbalanceFactor = config.ImbalanceFactor, Epochs = config.Epochs,
        ConfigJson = config.ToJson(),
    });

    private static readonly RunSummary[] Runs =
    [
        Run(1, new TrainingConfig { Alpha = 0.5, Seed = 0, LearningRate = 0.05, ImbalanceFactor = 0.01 }),
        Run(2, new TrainingConfig { Alpha = 1, Seed = 1, LearningRate = 0.1, ImbalanceFactor = 0.02, Method = "ce" }),
        Run(3, new TrainingConfig { Alpha = 2, Seed = 0, LearningRate = 0.3, ImbalanceFactor = 0.1, Dataset = "cifar10" }),
        // An imported log records a few fields only.
        RunSummary.From(new ProCo.Data.Entities.Run { Id = 4, Name = "imported", IsImported = true, ConfigJson = "{\"source\":\"tensorboard\",\"dataset\":\"cifar10\"}" }),
    ];

    private static long[] Kept(string text)
    {
        var (filter, error) = ConfigFilter.Parse(text);
        Assert.Null(error);
        return [.. Runs.Where(filter.Matches).Select(r => r.Id)];
    }

    [Fact]
    public void Conditions_OnNumbersAndWords_ByJsonNameOptionOrShortLabel_AllMustHold()
    {
        Assert.Equal([1, 2, 3, 4], Kept(""));
        Assert.Equal([2, 3], Kept("alpha >= 1"));
        Assert.Equal([3], Kept("alpha >= 1, seed = 0"));
        Assert.Equal([3], Kept("α > 1 and Seed == 0"));
        Assert.Equal([1, 2], Kept("lr < 0.2"));
        Assert.Equal([2], Kept("method = CE"));
        Assert.Equal([1, 3], Kept("method != ce"));
        Assert.Equal([3, 4], Kept("dataset = cifar10"));
        // An imbalance typed as its factor: imbalance 50 or more is a ratio of 0.02 or less.
        Assert.Equal([1, 2], Kept("imb >= 50"));
        Assert.Equal([1, 2], Kept("imbalanceFactor <= 0.02"));
        Assert.Equal([3], Kept("imbalance = 10"));
    }

    [Theory]
    [InlineData("alpha", "'alpha' is not a condition")]
    [InlineData("beta >= 1", "'beta' is no configuration field")]
    [InlineData("method > ce", "> compares numbers; 'ce' is not one.")]
    public void TextThatIsNoCondition_IsRefusedWithTheReason(string text, string message)
    {
        var (filter, error) = ConfigFilter.Parse(text);
        Assert.True(filter.IsEmpty);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }
}
