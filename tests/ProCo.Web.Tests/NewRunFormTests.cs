using ProCo.Training.Engine;
using ProCo.Web.Components.Pages.Runs;
using ProCo.Web.Components.Shared;

namespace ProCo.Web.Tests;

/// <summary>The new-run form's model: one value per described field, grids parsed by each field's own rules.</summary>
public sealed class NewRunFormTests
{
    [Fact]
    public void Form_HoldsEveryDescribedField_ReadsImbalance100As001_AndNamesAnEmptiedRequiredField()
    {
        var form = NewRunPage.RunForm.From(Presets.CpuDemo);
        Assert.Equal(ConfigSchema.Fields.Select(f => f.Property).Order(), form.Values.Keys.Order());
        Assert.Equal(Presets.CpuDemo, form.ToConfig(out var none));
        Assert.Empty(none);

        form.Values[nameof(TrainingConfig.ImbalanceFactor)] = 100.0;
        form.Values[nameof(TrainingConfig.Epochs)] = null;
        var config = form.ToConfig(out var missing);
        Assert.Equal(0.01, config.ImbalanceFactor);
        Assert.Equal("Epochs is required.", missing[nameof(TrainingConfig.Epochs)]);
        Assert.Single(missing);
    }

    [Fact]
    public void Grid_ExpandsEachListWithItsFieldsRules_AndNamesTheFieldOfAValueItCannotRead()
    {
        var grid = new NewRunPage.GridForm();
        grid.Lists[nameof(TrainingConfig.ImbalanceFactor)] = "100, 0.1";
        grid.Lists[nameof(TrainingConfig.Seed)] = "0, 1, 1";
        var configs = grid.Expand(Presets.CpuDemo);
        Assert.Empty(grid.Errors);
        Assert.Equal([(0.01, 0), (0.01, 1), (0.1, 0), (0.1, 1)], configs.Select(c => (c.ImbalanceFactor, c.Seed)));
        Assert.Equal("imb 10, seed 1", grid.Describe(configs[3], Presets.CpuDemo));
        // The member that keeps the form's values is named by them too, not "base".
        Assert.Equal("imb 100, seed 0", grid.Describe(configs[0], Presets.CpuDemo));
        var methods = new NewRunPage.GridForm();
        methods.Lists[nameof(TrainingConfig.Method)] = "proco, la";
        Assert.Equal(["proco", "la"], methods.Expand(Presets.CpuDemo).Select(c => methods.Describe(c, Presets.CpuDemo)));

        grid.Lists[nameof(TrainingConfig.Method)] = "proco, foo";
        Assert.Empty(grid.Expand(Presets.CpuDemo));
        Assert.Equal("Method: 'foo' is not one of proco, la, ce.", grid.Errors[nameof(TrainingConfig.Method)]);
    }

    [Fact]
    public void Check_PutsEachErrorOnItsField_OrOnTheGridListThatVariesIt()
    {
        var form = NewRunPage.RunForm.From(Presets.CpuDemo);
        var grid = new NewRunPage.GridForm();
        grid.Lists[nameof(TrainingConfig.Method)] = "proco, foo";
        grid.Lists[nameof(TrainingConfig.Alpha)] = "1, -2";
        form.Values[nameof(TrainingConfig.Epochs)] = new TypedText("abc", "Epochs: 'abc' is not a whole number.");
        var (_, configs, errors) = NewRunPage.Check(form, grid);
        Assert.Empty(configs);
        Assert.Equal("Epochs: 'abc' is not a whole number.", errors[nameof(TrainingConfig.Epochs)]);
        Assert.Equal("Method: 'foo' is not one of proco, la, ce.", errors[NewRunPage.GridForm.Key(nameof(TrainingConfig.Method))]);
        Assert.StartsWith("α (ProCo weight) values: -2 is not allowed.", errors[NewRunPage.GridForm.Key(nameof(TrainingConfig.Alpha))], StringComparison.Ordinal);
        Assert.Equal(3, errors.Count);

        // Mended, nothing is left, and the grid's runs are counted.
        form.Values[nameof(TrainingConfig.Epochs)] = 3;
        grid.Lists[nameof(TrainingConfig.Method)] = "proco, ce";
        grid.Lists[nameof(TrainingConfig.Alpha)] = "1, 2";
        (_, configs, errors) = NewRunPage.Check(form, grid);
        Assert.Empty(errors);
        Assert.Equal(4, configs.Count);
        // A value a list cannot hold is put on that list.
        grid.Lists[nameof(TrainingConfig.Seed)] = "0, -1";
        (_, _, errors) = NewRunPage.Check(form, grid);
        Assert.True(errors.ContainsKey(NewRunPage.GridForm.Key(nameof(TrainingConfig.Seed))), string.Join("; ", errors));
    }
}

/// <summary>Random search: reproducible draws from lists and ranges, each trained once per listed seed.</summary>
public sealed class RandomSearchTests
{
    private static NewRunPage.GridForm Search(int samples, int samplerSeed, params (string Property, string Text)[] lists)
    {
        var grid = new NewRunPage.GridForm { Random = true, Samples = samples, SamplerSeed = samplerSeed };
        foreach (var (property, text) in lists) grid.Lists[property] = text;
        return grid;
    }

    [Fact]
    public void Draws_StayInTheirRangesAndLists_RepeatPerSeed_AndTheSameSamplerSeedGivesTheSameRuns()
    {
        var grid = Search(40, 7, (nameof(TrainingConfig.LearningRate), "0.001..0.1 log"), (nameof(TrainingConfig.Alpha), "0.5..2"),
            (nameof(TrainingConfig.Method), "proco, la"), (nameof(TrainingConfig.Seed), "0, 1"));
        var configs = grid.Expand(Presets.CpuDemo);
        Assert.Empty(grid.Errors);
        Assert.Equal(80, configs.Count);
        Assert.All(configs, c => Assert.InRange(c.LearningRate, 0.001, 0.1));
        Assert.All(configs, c => Assert.InRange(c.Alpha, 0.5, 2));
        Assert.Equal(["la", "proco"], configs.Select(c => c.Method).Distinct().Order());
        // Each drawn configuration once per seed, side by side.
        Assert.All(configs.Chunk(2), pair => Assert.Equal((0, 1, pair[0] with { Seed = 1 }), (pair[0].Seed, pair[1].Seed, pair[1])));
        // Log-uniform: about as many draws below 0.01 as above it (the range's middle in log terms).
        var below = configs.Where(c => c.Seed == 0).Count(c => c.LearningRate < 0.01);
        Assert.InRange(below, 10, 30);
        Assert.Equal(configs, Search(40, 7, (nameof(TrainingConfig.LearningRate), "0.001..0.1 log"), (nameof(TrainingConfig.Alpha), "0.5..2"),
            (nameof(TrainingConfig.Method), "proco, la"), (nameof(TrainingConfig.Seed), "0, 1")).Expand(Presets.CpuDemo));
        Assert.NotEqual(configs, Search(40, 8, (nameof(TrainingConfig.LearningRate), "0.001..0.1 log"), (nameof(TrainingConfig.Alpha), "0.5..2"),
            (nameof(TrainingConfig.Method), "proco, la"), (nameof(TrainingConfig.Seed), "0, 1")).Expand(Presets.CpuDemo));
        Assert.Equal("proco, α 1.234, lr 0.01234, seed 0", grid.Describe(Presets.CpuDemo with { Alpha = 1.234, LearningRate = 0.01234 }, Presets.CpuDemo));
    }

    [Theory]
    [InlineData(nameof(TrainingConfig.LearningRate), "0.1..0.01 log", null)] // reversed ends are read in order
    [InlineData(nameof(TrainingConfig.LearningRate), "0..0.1 log", "Learning rate values: a log range must be above 0 ('0..0.1 log').")]
    [InlineData(nameof(TrainingConfig.LearningRate), "0.1..0.1", "Learning rate values: the range '0.1..0.1' is empty.")]
    [InlineData(nameof(TrainingConfig.Alpha), "1..500", "α (ProCo weight) values: 500 is not allowed.")]
    [InlineData(nameof(TrainingConfig.Seed), "0..9", "Seed values: '0..9' is a range; list the values of this field.")]
    [InlineData(nameof(TrainingConfig.LearningRate), "0.01..abc", "Learning rate: 'abc' is not a number.")]
    public void Ranges_AreCheckedAgainstTheirFields(string property, string text, string? error)
    {
        var grid = Search(3, 0, (property, text));
        var configs = grid.Expand(Presets.CpuDemo);
        if (error is null)
        {
            Assert.Empty(grid.Errors);
            Assert.All(configs, c => Assert.InRange(c.LearningRate, 0.01, 0.1));
            return;
        }
        Assert.Empty(configs);
        Assert.StartsWith(error, grid.Errors[property], StringComparison.Ordinal);
    }

    [Fact]
    public void AGrid_RefusesRanges_AndTooManyRuns()
    {
        var grid = new NewRunPage.GridForm();
        grid.Lists[nameof(TrainingConfig.LearningRate)] = "0.01..0.1";
        Assert.Empty(grid.Expand(Presets.CpuDemo));
        Assert.Equal("Learning rate values: '0.01..0.1' is a range; ranges are for random search (list values for a grid).", grid.Errors[nameof(TrainingConfig.LearningRate)]);
        grid.Lists[nameof(TrainingConfig.LearningRate)] = null;
        grid.Lists[nameof(TrainingConfig.Seed)] = string.Join(", ", Enumerable.Range(0, 201));
        Assert.Empty(grid.Expand(Presets.CpuDemo));
        Assert.Contains("More than 200 runs: at most 200 at once.", grid.Errors.Values);
        // Seven lists of 15 values (170 million runs) are refused by counting, not by building them.
        var huge = new NewRunPage.GridForm();
        foreach (var field in NewRunPage.GridForm.Fields.Where(f => f.Kind != ConfigFieldKind.Choice))
            huge.Lists[field.Property] = string.Join(", ", Enumerable.Range(1, 15).Select(i => field.Kind == ConfigFieldKind.WholeNumber ? $"{i}" : $"0.0{i:00}"));
        huge.Lists[nameof(TrainingConfig.Method)] = "proco, la, ce";
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Empty(huge.Expand(Presets.CpuDemo));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"{watch.Elapsed}");
        var search = Search(0, 0, (nameof(TrainingConfig.Alpha), "1, 2"));
        Assert.Empty(search.Expand(Presets.CpuDemo));
        Assert.Equal("Samples: 1 to 200.", search.Errors["Samples"]);
    }

    [Fact]
    public void ARandomSearch_DrawsDistinctConfigurations_NeedsSomethingToDraw_AndDrawsImbalanceRatiosAsRatios()
    {
        // Two alphas and two methods hold four configurations: four samples are those four, five are refused.
        var four = Search(4, 1, (nameof(TrainingConfig.Alpha), "1, 2"), (nameof(TrainingConfig.Method), "proco, la"));
        Assert.Equal(4, four.Expand(Presets.CpuDemo).Distinct().Count());
        var five = Search(5, 1, (nameof(TrainingConfig.Alpha), "1, 2"), (nameof(TrainingConfig.Method), "proco, la"));
        Assert.Empty(five.Expand(Presets.CpuDemo));
        Assert.Equal("These lists hold only 4 different configurations: ask for at most 4 samples, or use a grid.", five.Errors["Samples"]);
        // Switched on with nothing typed: the form shows no error yet, and has nothing to queue.
        var (_, untyped, untypedErrors) = NewRunPage.Check(NewRunPage.RunForm.From(Presets.CpuDemo), Search(3, 1));
        Assert.Empty(untyped);
        Assert.Empty(untypedErrors);
        var nothing = Search(3, 1, (nameof(TrainingConfig.Seed), "0, 1"));
        Assert.Empty(nothing.Expand(Presets.CpuDemo));
        Assert.StartsWith("Random search draws from a list or a range", nothing.Errors["Samples"], StringComparison.Ordinal);
        // Imbalance typed as ratios 10..100: uniform in the ratio, so about half the draws are above 55.
        var ratios = Search(200, 3, (nameof(TrainingConfig.ImbalanceFactor), "10..100")).Expand(Presets.CpuDemo).Select(c => 1 / c.ImbalanceFactor).ToList();
        Assert.All(ratios, r => Assert.InRange(r, 10 - 1e-9, 100 + 1e-9));
        Assert.InRange(ratios.Count(r => r > 55), 70, 130);
    }
}

/// <summary>Sizes as the import dialog and the checkpoint table show them.</summary>
public sealed class FormatTests
{
    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(6, "6 B")]
    [InlineData(1536, "1.5 KB")]
    [InlineData(24_576, "24 KB")]
    [InlineData(1_430_149, "1.4 MB")]
    public void Bytes_NeverShowsAFileThatHasBytesAsZero(long bytes, string shown) =>
        Assert.Equal(shown, ProCo.Web.Components.Shared.Format.Bytes(bytes));
}

/// <summary>The system sampler's readings: rates between samples, and nvidia-smi's lines.</summary>
public sealed class SystemSamplerTests
{
    [Fact]
    public void Sample_GivesElapsedAndMemoryFirst_ThenRatesBetweenSamples_AndNothingInBetween()
    {
        using var sampler = new ProCo.Web.Runs.SystemSampler(imagesPerStep: 32, device: "cpu", startedAt: DateTimeOffset.UtcNow.AddSeconds(-30));
        var first = sampler.Sample(1)!;
        Assert.InRange(first[Series.SysElapsed], 29, 40);
        Assert.True(first[Series.SysMemory] > 10, $"{first[Series.SysMemory]} MiB resident");
        Assert.False(first.ContainsKey(Series.SysImagesPerSecond));
        Assert.Null(sampler.Sample(2)); // not due yet
        Assert.Null(sampler.Sample(1, always: true)); // a step already sampled
        // Busy for a while, as training is: the process's CPU share and the image rate follow.
        var until = DateTime.UtcNow + ProCo.Web.Runs.SystemSampler.Every + TimeSpan.FromMilliseconds(100);
        var spin = 0.0;
        while (DateTime.UtcNow < until) spin += Math.Sqrt(spin + 1);
        var second = sampler.Sample(11)!;
        Assert.True(spin > 0);
        Assert.InRange(second[Series.SysImagesPerSecond], 10 * 32 / 2.5, 10 * 32 / 2.0);
        Assert.InRange(second[Series.SysCpu], 100.0 / Environment.ProcessorCount * 0.5, 100);
        Assert.False(second.ContainsKey(Series.SysGpuUtilisation));

        // After an epoch's end, the next sample only sets the rates' baseline: evaluation is not training time.
        sampler.Rebase();
        Thread.Sleep(ProCo.Web.Runs.SystemSampler.Every + TimeSpan.FromMilliseconds(50));
        var afterEpoch = sampler.Sample(12, always: true)!;
        Assert.False(afterEpoch.ContainsKey(Series.SysImagesPerSecond));
        Assert.True(afterEpoch.ContainsKey(Series.SysMemory));
    }

    [Theory]
    [InlineData(0, null, "0")]
    [InlineData(1, "", "1")]
    [InlineData(1, "3,5", "5")]
    [InlineData(0, "GPU-8d2c, GPU-11aa", "GPU-8d2c")]
    [InlineData(2, "3,5", "2")]
    public void GpuProbe_NamesTheGpuAsNvidiaSmiSeesIt(int index, string? visible, string id) =>
        Assert.Equal(id, ProCo.Web.Runs.GpuProbe.PhysicalId(index, visible));

    [Theory]
    [InlineData("87, 10240", 87.0, 10240.0)]
    [InlineData("0, 3", 0.0, 3.0)]
    public void GpuProbe_ReadsNvidiaSmiLines(string line, double utilisation, double memory) =>
        Assert.Equal(new ProCo.Web.Runs.GpuReading(utilisation, memory), ProCo.Web.Runs.GpuProbe.Parse(line));

    [Theory]
    [InlineData("[N/A], [N/A]")]
    [InlineData("")]
    [InlineData("No devices were found")]
    public void GpuProbe_ReadsNothingFromOtherLines(string line) => Assert.Null(ProCo.Web.Runs.GpuProbe.Parse(line));
}

/// <summary>Run notes as HTML: Markdown rendered, nothing that runs script.</summary>
public sealed class MarkdownTests
{
    [Fact]
    public void Notes_RenderMarkdown_ButNeitherRawHtmlNorScriptLinks()
    {
        var html = ProCo.Web.Components.Shared.Markdown.ToHtml(
            "# Plan\n\n- [x] **α = 1** first\n- see [the paper](https://arxiv.org/abs/2403.06726)\n\n<script>alert(1)</script>\n\n" +
            "[click](javascript:alert(2)) ![x](data:image/svg+xml,abc) [here](/runs/3) [away](/\\evil.example) [far](//evil.example)\n\n| a | b |\n|---|---|\n| 1 | 2 |");
        Assert.Contains("<h1 id=\"plan\">Plan</h1>", html.Replace("<h1>", "<h1 id=\"plan\">", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("<strong>α = 1</strong>", html, StringComparison.Ordinal);
        Assert.Contains("href=\"https://arxiv.org/abs/2403.06726\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/runs/3\"", html, StringComparison.Ordinal);
        Assert.Contains("<table>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("javascript:", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("data:image", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("evil.example", html, StringComparison.Ordinal);
    }
}

/// <summary>The seed-group rule Compare draws by.</summary>
public sealed class SeedGroupsTests
{
    private static (ProCo.Web.Runs.RunSummary, string) Run(long id, string name, string config, ProCo.Data.Entities.RunStatus status = ProCo.Data.Entities.RunStatus.Succeeded) =>
        (ProCo.Web.Runs.RunSummary.From(new ProCo.Data.Entities.Run { Id = id, Name = name, Status = status, ConfigJson = config }), config);

    [Fact]
    public void RunsThatDifferOnlyInSeedsOrWhereTheyRan_Group_ButNotAcrossStatesOrOtherFields()
    {
        var groups = ProCo.Web.Runs.SeedGroups.Of(
        [
            Run(1, "a s0", """{"alpha":1,"seed":0,"device":"cuda:0","loaderThreads":2}"""),
            Run(2, "a s1", """{"seed":1,"alpha":1,"device":"cuda:1"}"""),
            Run(3, "b s0", """{"alpha":2,"seed":0}"""),
            Run(4, "a s2 still training", """{"alpha":1,"seed":2}""", ProCo.Data.Entities.RunStatus.Running),
            Run(5, "broken", "not json"),
        ]);
        Assert.Equal([[1L, 2L], [3L], [4L], [5L]], groups.Select(g => g.Ids.ToArray()));
        Assert.Equal("a s0 (seeds 0, 1)", groups[0].Label);
        Assert.Equal("b s0", groups[1].Label);
    }

    [Fact]
    public void Spread_IsMeanSampleSdAndRange_OfTheFiniteValues()
    {
        var spread = ProCo.Web.Runs.Spread.Of([40.0, 50.0, null, double.NaN, 60.0])!;
        Assert.Equal((50.0, 10.0, 40.0, 60.0, 3), (spread.Mean, spread.StandardDeviation, spread.Min, spread.Max, spread.Count));
        Assert.Equal("50.00 ± 10.00", ProCo.Web.Runs.SeedGroups.Format(spread));
        Assert.Null(ProCo.Web.Runs.Spread.Of([null, double.PositiveInfinity]));
    }
}
