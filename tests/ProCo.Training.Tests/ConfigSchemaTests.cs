using System.Reflection;
using System.Text.Json.Serialization;
using ProCo.Training.Engine;

namespace ProCo.Training.Tests;

/// <summary>Each TrainingConfig field is described once, and that description is what checks and parses it.</summary>
public sealed class ConfigSchemaTests
{
    [Fact]
    public void EverySettableConfigProperty_HasExactlyOneDescription_WithUniqueNamesAndOptions()
    {
        var settable = typeof(TrainingConfig).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetCustomAttribute<JsonIgnoreAttribute>() is null)
            .Select(p => p.Name).Order().ToArray();
        Assert.Equal(settable, ConfigSchema.Fields.Select(f => f.Property).Order().ToArray());
        Assert.Equal(ConfigSchema.Fields.Count, ConfigSchema.Fields.Select(f => f.Name).Distinct().Count());
        Assert.Equal(ConfigSchema.Fields.Count, ConfigSchema.Fields.Select(f => f.Option).Distinct().Count());
        // Defaults are the published recipe, read from a new config.
        Assert.Equal(0.3, ConfigSchema.Get("learningRate").Default);
        Assert.Equal("lr", ConfigSchema.Get(nameof(TrainingConfig.LearningRate)).Option);
        Assert.Equal("batch-size", ConfigSchema.Get(nameof(TrainingConfig.BatchSize)).Option);
        Assert.Equal(["Data", "Method and model", "Optimisation"], ConfigSchema.Fields.Select(f => f.Group).Distinct());
    }

    [Fact]
    public void Validate_ReportsEachFieldsOwnRangeOrChoiceMessage_AndRequiredFields()
    {
        var errors = (new TrainingConfig { Epochs = 0, Momentum = 1, Method = "focal", ImbalanceFactor = 0, Dataset = null!, Device = null! }).Validate();
        Assert.Equal("Between 1 and 10000 epochs.", errors[nameof(TrainingConfig.Epochs)]);
        Assert.Equal("Momentum in [0, 1).", errors[nameof(TrainingConfig.Momentum)]);
        Assert.Equal("Use proco or la or ce.", errors[nameof(TrainingConfig.Method)]);
        Assert.StartsWith("The imbalance is smallest over largest class count, above 0 and at most 1 (0.01), or typed as its factor", errors[nameof(TrainingConfig.ImbalanceFactor)], StringComparison.Ordinal);
        Assert.Equal("Dataset is required.", errors[nameof(TrainingConfig.Dataset)]);
        Assert.Equal("Device is required.", errors[nameof(TrainingConfig.Device)]);
        Assert.Equal(6, errors.Count);
        // The edges: exclusive minimum, inclusive maximum, and the rules a range cannot say.
        Assert.Empty(new TrainingConfig { ImbalanceFactor = 1, Momentum = 0, Temperature = 100 }.Validate());
        Assert.Contains(nameof(TrainingConfig.Temperature), new TrainingConfig { Temperature = 0 }.Validate().Keys);
        Assert.Contains(nameof(TrainingConfig.Depth), new TrainingConfig { Depth = 21 }.Validate().Keys);
        Assert.Contains(nameof(TrainingConfig.WarmupEpochs), new TrainingConfig { Epochs = 3, WarmupEpochs = 4 }.Validate().Keys);
    }

    [Fact]
    public void Parse_ReadsInvariantNumbersReciprocalImbalanceAndChoices_AndNamesTheFieldWhenItCannot()
    {
        var imbalance = ConfigSchema.Get(nameof(TrainingConfig.ImbalanceFactor));
        Assert.Equal(0.01, imbalance.Parse("100"));
        Assert.Equal(0.02, imbalance.Parse("0.02"));
        Assert.Equal("cosine", ConfigSchema.Get(nameof(TrainingConfig.Schedule)).Parse(" Cosine "));
        Assert.Null(ConfigSchema.Get(nameof(TrainingConfig.WarmupEpochs)).Parse("none"));
        var method = Assert.Throws<FormatException>(() => ConfigSchema.Get(nameof(TrainingConfig.Method)).Parse("foo"));
        Assert.Equal("Method: 'foo' is not one of proco, la, ce.", method.Message);
        var epochs = Assert.Throws<FormatException>(() => ConfigSchema.Get(nameof(TrainingConfig.Epochs)).Parse("abc"));
        Assert.Equal("Epochs: 'abc' is not a whole number.", epochs.Message);
        Assert.Throws<FormatException>(() => imbalance.Parse("Infinity"));
        Assert.Throws<FormatException>(() => ConfigSchema.Get(nameof(TrainingConfig.Epochs)).Parse(""));
    }

    [Fact]
    public void With_SetsOneFieldOnACopy()
    {
        var config = new TrainingConfig();
        var changed = ConfigSchema.Get(nameof(TrainingConfig.Alpha)).With(config, 2);
        Assert.Equal(2.0, changed.Alpha);
        Assert.Equal(1.0, config.Alpha);
        Assert.Equal(config with { Alpha = 2 }, changed);
        Assert.Null(ConfigSchema.Get(nameof(TrainingConfig.MaxPerClass)).With(config with { MaxPerClass = 5 }, null).MaxPerClass);
    }
}
