using System.Text.Json;
using ProCo.Training.Augment;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;
using TorchSharp.PyBridge;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ProCo.Training.Tests;

/// <summary>
/// The composed augmentation as a distribution, against the public pipelines' (Fixtures/augment/generate.py ran the
/// public code's AutoAugment, Cutout and timm RandAugment with torchvision 0.14 and Pillow 9.4 over the same images):
/// how often each operation fires, its parameters (crop offsets and boxes, jitter factors and order, signs, levels,
/// filters), and each view's pixel statistics (mean, spread, black and fill shares), for the CIFAR views and the
/// ImageNet-LT / iNaturalist views. Every mean must agree within <see cref="Sigmas"/> standard errors of the
/// difference of two samples; a quantity both sides hold constant must be the same constant.
/// </summary>
public sealed class AugmentDistributionTests(ITestOutputHelper output)
{
    /// <summary>How many standard errors of the difference two means may be apart.</summary>
    public const double Sigmas = 4;

    /// <summary>Images drawn here through the ImageNet pipeline (three views each, at 224 pixels: about a minute on two cores).</summary>
    private const int ImageNetDraws = 1000;

    private static readonly double[] CifarMean = [0.4914, 0.4822, 0.4465];
    private static readonly double[] CifarStd = [0.2023, 0.1994, 0.2010];

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "augment", name);

    private static JsonElement Public(string pipeline)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Fixture("augment.json")));
        return document.RootElement.GetProperty("pipelines").GetProperty(pipeline).Clone();
    }

    private static int PublicDraws(string pipeline) => Public(pipeline).GetProperty("px.mean").GetProperty("n").GetInt32();

    [Fact]
    public void CifarViews_DrawAsThePublicPipelinesDo()
    {
        var images = ((Tensor)PyTorchUnpickler.UnpickleStateDict(Fixture("images.pt"))["images"]!).clone();
        var regular = new AugmentTrace();
        var sim = new AugmentTrace();
        using var augmenter = new Augmenter(CifarMean, CifarStd, CPU);
        var count = (int)images.shape[0];
        var rounds = (PublicDraws("cifar-regular") + count - 1) / count;
        for (var r = 0; r < rounds; r++)
        {
            using var scope = NewDisposeScope();
            var random = new Random(r);
            using var generator = new Generator((ulong)r + 1);
            PixelStats(regular, augmenter.RegularView(images, random, generator, regular), CifarMean, CifarStd, [128, 128, 128]);
            PixelStats(sim, augmenter.ContrastiveView(images, random, generator, sim), CifarMean, CifarStd, [128, 128, 128]);
        }
        Compare("cifar-regular", regular);
        Compare("cifar-sim", sim);
    }

    [Fact]
    public void ImageNetViews_DrawAsThePublicPipelinesDo()
    {
        var files = Enumerable.Range(0, 6).Select(k => $"photo-{k}.jpg").ToArray();
        var split = new ImageFileSplit("photos", Fixture(""), files, new long[files.Length], ["photo"]);
        var config = Presets.ImageNet("resnet50", 90) with { BatchSize = files.Length, LoaderThreads = 2 };
        var traces = new[] { new AugmentTrace(), new AugmentTrace(), new AugmentTrace() };
        using var feed = new FileFeed(config, split, split.Mean, split.Std, CPU);
        var order = Enumerable.Range(0, files.Length).Select(i => (long)i).ToArray();
        var steps = (ImageNetDraws + files.Length - 1) / files.Length;
        var fill = RandAugment.FillColor;
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            using var batch = feed.TrainBatch(order, epoch: step, step: 0, traces);
            var views = batch.Views.chunk(3);
            PixelStats(traces[0], views[0], split.Mean, split.Std, fill);
            PixelStats(traces[1], views[1], split.Mean, split.Std, fill);
            PixelStats(traces[2], views[2], split.Mean, split.Std, fill);
        }
        Compare("imagenet-cls", traces[0]);
        // Both contrastive views are the public code's augmentation_sim (sim-sim, as published).
        foreach (var (name, values) in traces[2].Values) foreach (var v in values) traces[1].Record(name, v);
        Compare("imagenet-sim", traces[1]);
    }

    // Per view image, from the normalised view: mean and spread of its 0..255 values, its black and fill shares.
    private static void PixelStats(AugmentTrace trace, Tensor normalised, double[] mean, double[] std, double[] fill)
    {
        using var scope = NewDisposeScope();
        Tensor Channels(double[] v) => tensor(v.Select(c => (float)(c * 255)).ToArray()).view(1, 3, 1, 1);
        var x = (normalised * Channels(std) + Channels(mean)).round();
        var stats = stack([
            x.mean([1L, 2L, 3L]),
            x.flatten(1).std(1),
            x.eq(0).all(1).to_type(ScalarType.Float32).mean([1L, 2L]),
            x.eq(tensor(fill.Select(f => (float)f).ToArray()).view(1, 3, 1, 1)).all(1).to_type(ScalarType.Float32).mean([1L, 2L]),
        ], 1).data<float>().ToArray();
        for (var i = 0; i < stats.Length / 4; i++)
        {
            trace.Record("px.mean", stats[4 * i]);
            trace.Record("px.std", stats[4 * i + 1]);
            trace.Record("px.zero", stats[4 * i + 2]);
            trace.Record("px.fill", stats[4 * i + 3]);
        }
    }

    private void Compare(string pipeline, AugmentTrace ours)
    {
        var expected = Public(pipeline);
        var failures = new List<string>();
        var names = expected.EnumerateObject().Select(p => p.Name).ToList();
        var extra = ours.Values.Keys.Except(names).ToList();
        if (extra.Count > 0) failures.Add($"drawn here but not by the public pipeline: {string.Join(", ", extra)}");
        foreach (var name in names)
        {
            var theirs = expected.GetProperty(name);
            var (n2, m2, s2) = (theirs.GetProperty("n").GetInt32(), theirs.GetProperty("mean").GetDouble(), theirs.GetProperty("sd").GetDouble());
            if (!ours.Values.TryGetValue(name, out var values) || values.Count < 2)
            {
                failures.Add($"{name}: drawn {n2} times by the public pipeline, {values?.Count ?? 0} here");
                continue;
            }
            var n1 = values.Count;
            var m1 = values.Average();
            var s1 = Math.Sqrt(values.Sum(v => (v - m1) * (v - m1)) / (n1 - 1));
            var error = Math.Sqrt(s1 * s1 / n1 + s2 * s2 / n2);
            var line = $"{pipeline} {name}: ours {m1:0.0000} (n {n1}), public {m2:0.0000} (n {n2})";
            if (error == 0)
            {
                if (Math.Abs(m1 - m2) > 1e-12) failures.Add($"{line}: a constant on both sides, but not the same");
                output.WriteLine($"{line}, constant");
                continue;
            }
            var z = (m1 - m2) / error;
            output.WriteLine($"{line}, {z:+0.0;-0.0} standard errors");
            if (Math.Abs(z) > Sigmas) failures.Add($"{line}: {z:+0.0;-0.0} standard errors apart");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
