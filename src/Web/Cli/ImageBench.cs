using System.Diagnostics;
using System.Globalization;
using ProCo.Training;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;
using SkiaSharp;
using TorchSharp;

namespace ProCo.Web.Cli;

/// <summary>
/// <c>proco bench --images</c>: what decoding costs an on-disk dataset. It prints the decode-plus-augment
/// rate (the public ImageNet pipeline's three views of each image) on one loader thread and on all of
/// them, and the median time of a training step fed by real decoding against one fed by random tensors
/// of the same shape; their ratio is what the loader costs the trainer on this machine.
/// </summary>
internal static class ImageBench
{
    /// <summary>Photo-sized JPEGs (ImageNet's typical 500×375 and 375×500) the benchmark writes when no dataset is named.</summary>
    public static ImageFileSplit Synthetic(string folder, int count, int classes)
    {
        var paths = new List<string>();
        var labels = new List<long>();
        for (var i = 0; i < count; i++)
        {
            var label = i % classes;
            var relative = Path.Combine($"class{label}", $"{i:D4}.jpg");
            var (w, h) = i % 3 == 0 ? (375, 500) : (500, 375);
            WritePhoto(Path.Combine(folder, relative), w, h, new Random(i));
            paths.Add(relative);
            labels.Add(label);
        }
        return new ImageFileSplit("synthetic photos", folder, paths, [.. labels], [.. Enumerable.Range(0, classes).Select(c => $"class{c}")]);
    }

    // Smooth colour fields with noise and edges: JPEG sizes like photographs' (about 100 KB at quality 90).
    private static void WritePhoto(string path, int width, int height, Random random)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var pixels = bitmap.GetPixelSpan();
        var (r0, g0, b0) = (random.Next(256), random.Next(256), random.Next(256));
        var (fx, fy) = (random.NextDouble() * 0.05, random.NextDouble() * 0.05);
        var noise = new byte[width * height * 4];
        random.NextBytes(noise);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var o = (y * width + x) * 4;
                var wave = Math.Sin(x * fx + y * fy) * 60;
                pixels[o] = (byte)Math.Clamp(r0 + wave + (noise[o] - 128) / 6, 0, 255);
                pixels[o + 1] = (byte)Math.Clamp(g0 - wave + (noise[o + 1] - 128) / 6, 0, 255);
                pixels[o + 2] = (byte)Math.Clamp(b0 + wave / 2 + (noise[o + 2] - 128) / 6 + ((x / 40 + y / 40) % 2) * 30, 0, 255);
                pixels[o + 3] = 255;
            }
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
        using var file = File.Create(path);
        data.SaveTo(file);
    }

    /// <summary>The public pipeline's side: the script (scripts/pytorch_image_pipeline.py), its Python, and the public checkout it imports from.</summary>
    public sealed record PublicPipeline(string Script, string Python, string Checkout);

    public static int Run(TrainingConfig config, ImageFileSplit train, int warmup, int steps, int rounds, PublicPipeline? side, TextWriter output)
    {
        var device = new torch.Device(config.ResolvedDevice);
        var cores = Environment.ProcessorCount;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{train.Name}: {train.Count} images under {train.Root}; crop {config.CropSize}, batch {config.BatchSize}, {config.ContrastViews} views, {cores} cores"));

        // 1. Decoding and augmenting alone, as the loader does it, on one thread and on every core; the public pipeline
        // on the same files with as many worker processes, rounds alternating the two.
        var order = Enumerable.Range(0, train.Count).Select(i => (long)i).ToArray();
        var batches = train.Count / config.BatchSize;
        if (batches < 2) throw new ArgumentException($"{train.Name} has {train.Count} images: the benchmark needs two batches of {config.BatchSize}.");
        var counts = cores == 1 ? new[] { 1 } : [1, cores];
        var ours = counts.ToDictionary(t => t, _ => new List<double>());
        var theirs = counts.ToDictionary(t => t, _ => new List<double>());
        var list = side is null ? null : Path.Combine(Path.GetTempPath(), $"proco-bench-files-{Environment.ProcessId}.txt");
        try
        {
            if (list is not null) File.WriteAllLines(list, Enumerable.Range(0, train.Count).Select(train.FullPath));
            for (var round = 0; round < rounds; round++)
            {
                foreach (var threads in counts)
                {
                    ours[threads].Add(OurRate(config with { LoaderThreads = threads }, train, order, batches, device));
                    if (side is not null) theirs[threads].Add(PublicRate(side, list!, config, threads));
                }
            }
        }
        finally
        {
            if (list is not null) File.Delete(list);
        }
        var views = TrainingMethods.ViewsPerImage(config.Method);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"decode + augment at {config.CropSize} px ({views} view{(views == 1 ? "" : "s")} each), images/s, median of {rounds} round{(rounds == 1 ? "" : "s")}:"));
        foreach (var threads in counts)
        {
            var rate = Statistics.Median(ours[threads]);
            var line = $"  ProCo Studio, {threads} thread{(threads == 1 ? "" : "s")}: {rate:F1} ({rate / threads:F1} per thread)";
            if (side is not null)
            {
                var public_ = Statistics.Median(theirs[threads]);
                line += $"; public pipeline (PIL + torchvision), {threads} worker{(threads == 1 ? "" : "s")}: {public_:F1} ({public_ / threads:F1} per worker); ratio {rate / public_:F2}x";
            }
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{line}"));
        }
        var perCore = Statistics.Median(ours[counts[^1]]) / counts[^1];
        var publicPerCore = side is null ? 0 : Statistics.Median(theirs[counts[^1]]) / counts[^1];
        if (counts.Length > 1)
        {
            var scaling = $"  from 1 thread to {cores}: ProCo Studio {Statistics.Median(ours[cores]) / Statistics.Median(ours[1]):F2}x";
            if (side is not null) scaling += $", public pipeline {Statistics.Median(theirs[cores]) / Statistics.Median(theirs[1]):F2}x";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{scaling}"));
        }

        // 2. Training steps fed by real decoding (two steps prepared ahead) against random tensors of the same shape.
        if (train.Count < config.BatchSize * (warmup + steps + 1))
            throw new ArgumentException($"{train.Name} has {train.Count} images, fewer than the {warmup + steps + 1} batches the step timing needs.");
        var run = config with { Epochs = 2, WarmupEpochs = 0 };
        var data = new TrainingData(train, train);
        // Rounds alternate the two feeds, so the machine's drift between minutes falls on both alike.
        List<double> random = [], decoded = [];
        for (var round = 0; round < rounds; round++)
        {
            random.AddRange(Time(run, data, warmup, steps, c => new RandomFeed(c, device)));
            decoded.AddRange(Time(run, data, warmup, steps, null));
        }
        var (r, d) = (Statistics.Median(random), Statistics.Median(decoded));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"training step ({PrecisionPlan.Resolve(config.Precision, device)}, {torch.get_num_threads()} threads): fed by random tensors {r:F3} s, " +
            $"fed by decoding {d:F3} s (medians of {random.Count}: {rounds} round(s) alternating the feeds, {steps} steps after {warmup} warm-up each)"));
        var publicCores = side is null ? "" : string.Create(CultureInfo.InvariantCulture, $" (the public pipeline: N / {publicPerCore:F0})");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"decoding costs the trainer {d / r:F2}x (target at most 1.10x): this step takes {config.BatchSize / r:F1} images/s and one loader core " +
            $"makes {perCore:F1}, so a device training at N images/s needs about N / {perCore:F0} loader cores{publicCores}"));
        return 0;
    }

    // Batches decoded and augmented by our loader in about four seconds after one batch of warm-up, in images/s.
    private static double OurRate(TrainingConfig config, ImageFileSplit train, long[] order, int batches, torch.Device device)
    {
        using var feed = new FileFeed(config, train, train.Mean, train.Std, device);
        feed.TrainBatch(order, 0, 0).Dispose();
        var watch = Stopwatch.StartNew();
        var done = 0;
        while (done < 2 || (watch.Elapsed < TimeSpan.FromSeconds(4) && done < 4 * batches))
        {
            feed.TrainBatch(order, 0, done % batches).Dispose();
            done++;
        }
        return done * config.BatchSize / watch.Elapsed.TotalSeconds;
    }

    // The public pipeline on the same files, one worker process a thread, about four seconds after a batch of warm-up each.
    private static double PublicRate(PublicPipeline side, string list, TrainingConfig config, int workers)
    {
        var result = BenchCommand.PythonJson(side.Python,
            [side.Script, "--public", side.Checkout, "--files", list, "--workers", $"{workers}", "--batch", $"{config.BatchSize}", "--crop", $"{config.CropSize}",
                "--warmup", $"{config.BatchSize}", "--seconds", "4"], "public image pipeline", "python3-torchvision").Single();
        return result.GetProperty("images_per_s").GetDouble();
    }

    private static List<double> Time(TrainingConfig config, TrainingData data, int warmup, int steps, Func<TrainingConfig, ITrainingFeed>? feed) =>
        BenchCommand.TimeSteps(config, data, warmup, warmup + steps, feed).Times;

    // Batches of the right shape that cost nothing to make: one random batch, handed out again each step.
    private sealed class RandomFeed : ITrainingFeed
    {
        private readonly torch.Tensor _views;
        private readonly torch.Tensor _labels;

        public RandomFeed(TrainingConfig config, torch.Device device)
        {
            var views = TrainingMethods.ViewsPerImage(config.Method);
            _views = torch.randn([views * config.BatchSize, 3, config.CropSize, config.CropSize], device: device);
            using var counter = torch.arange(config.BatchSize, device: device);
            _labels = counter % 2;
        }

        public void StartEpoch(long[] order, int epoch, int firstStep)
        {
        }

        public PreparedBatch Next(int step) => new(_views.alias(), _labels.alias(), []);

        public void StopEpoch()
        {
        }

        public IEnumerable<PreparedBatch> Evaluation(IImageSplit split) => [];

        public void Dispose()
        {
            _views.Dispose();
            _labels.Dispose();
        }
    }
}
