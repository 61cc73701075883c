using System.Runtime.InteropServices;
using System.Threading.Channels;
using ProCo.Training.Augment;
using ProCo.Training.Datasets;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace ProCo.Training.Engine;

/// <summary>
/// On-disk image datasets (ImageNet-LT, iNaturalist, one's own): each step's images are decoded and
/// augmented as the public ImageNet code does, on <see cref="TrainingConfig.LoaderThreads"/> threads,
/// a bounded number of steps ahead of the trainer. Every random draw derives from (seed, epoch, step,
/// image), so the batches do not depend on the number of threads and a resumed run sees the same ones.
/// <list type="bullet">
/// <item>view 0: RandomResizedCrop (scale 0.08-1, bilinear), flip, ColorJitter(0.4, 0.4, 0.4, 0), RandAugment rand-n2-m10-mstd0.5;</item>
/// <item>views 1-2 ("sim"): RandomResizedCrop, flip, ColorJitter(0.4, 0.4, 0.4, 0.1) with p 0.8, grayscale with p 0.2; "rand" adds RandAugment;</item>
/// <item>evaluation: the shorter side resized to 256/224 of the crop size, the centre crop.</item>
/// </list>
/// </summary>
public sealed class FileFeed : ITrainingFeed
{
    /// <summary>Steps prepared ahead of the trainer: one waiting, one being made.</summary>
    public const int Prefetch = 2;

    private readonly TrainingConfig _config;
    private readonly ImageFileSplit _train;
    private readonly Augmenter _augmenter;
    private readonly Device _device;
    private readonly int _views;
    private readonly LoaderPool _pool;
    private Channel<PreparedBatch>? _ready;
    private CancellationTokenSource? _stop;
    private Task? _producer;

    public FileFeed(TrainingConfig config, ImageFileSplit train, double[] mean, double[] std, Device device)
    {
        _config = config;
        _train = train;
        _device = device;
        // The loader works in host memory; a batch moves to the device when the trainer takes it.
        _augmenter = new Augmenter(mean, std, CPU);
        _views = TrainingMethods.ViewsPerImage(config.Method);
        _pool = new LoaderPool(config.LoaderThreads ?? Environment.ProcessorCount);
    }

    /// <summary>Side of the evaluation resize: 256 for a 224 crop, as published.</summary>
    public int EvalResize => (int)Math.Round(_config.CropSize * 256.0 / 224);

    public void StartEpoch(long[] order, int epoch, int firstStep)
    {
        StopEpoch();
        var steps = _train.Count / _config.BatchSize;
        var ready = Channel.CreateBounded<PreparedBatch>(new BoundedChannelOptions(Prefetch - 1) { SingleReader = true, SingleWriter = true });
        var stop = new CancellationTokenSource();
        (_ready, _stop) = (ready, stop);
        _producer = Task.Factory.StartNew(() =>
        {
            LoaderThreadPriority.Lower(runsTorch: true);
            try
            {
                for (var step = firstStep; step < steps && !stop.IsCancellationRequested; step++)
                {
                    var batch = TrainBatch(order, epoch, step);
                    if (!ready.Writer.TryWrite(batch))
                    {
                        try
                        {
                            ready.Writer.WriteAsync(batch, stop.Token).AsTask().GetAwaiter().GetResult();
                        }
                        catch (OperationCanceledException)
                        {
                            batch.Dispose();
                            break;
                        }
                    }
                }
                ready.Writer.TryComplete();
            }
            catch (Exception e)
            {
                ready.Writer.TryComplete(e);
            }
        }, TaskCreationOptions.LongRunning);
    }

    public PreparedBatch Next(int step)
    {
        try
        {
            return OnDevice(_ready!.Reader.ReadAsync().AsTask().GetAwaiter().GetResult());
        }
        catch (ChannelClosedException e) when (e.InnerException is not null)
        {
            // The loader's own error (an unreadable image under "fail", a missing file), as it was thrown.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }

    public void StopEpoch()
    {
        if (_ready is null) return;
        _stop!.Cancel();
        try
        {
            _producer!.Wait();
        }
        catch (AggregateException)
        {
            // Its error was handed to the reader; nothing more to do with it here.
        }
        while (_ready.Reader.TryRead(out var left)) left.Dispose();
        _stop.Dispose();
        (_ready, _stop, _producer) = (null, null, null);
    }

    private PreparedBatch OnDevice(PreparedBatch batch)
    {
        if (_device.type == DeviceType.CPU) return batch;
        using (batch) return new PreparedBatch(batch.Views.to(_device), batch.Labels.to(_device), batch.Skipped);
    }

    // What one view of one image drew: its crop box in the decoded image, the flip, the colour jitter (whether, the order of
    // brightness, contrast, saturation and hue, and their factors) and the grayscale.
    private readonly record struct ViewDraw(SKRectI Box, int Width, int Height, bool Flip, bool Jitter, int[] Order, float[] Factors, bool Gray,
        RandAugment.Plan?[]? Rand);

    /// <summary>
    /// Decodes and augments the batch of <paramref name="step"/> in host memory (what the loader threads do; public for the
    /// benchmark). <paramref name="traces"/>, when given (one per view), record each view's draws.
    /// Each image's views are made by one loader thread from its decoded pixels, with Pillow's arithmetic
    /// (<see cref="PixelOps"/>), and written normalised into the batch.
    /// </summary>
    public PreparedBatch TrainBatch(long[] order, int epoch, int step, AugmentTrace[]? traces = null)
    {
        var batch = _config.BatchSize;
        var size = _config.CropSize;
        var stepSeed = Seeds.Mix(_config.Seed, epoch, step);
        var indices = Enumerable.Range(0, batch).Select(i => (int)order[(long)step * batch + i]).ToArray();
        var draws = new ViewDraw[_views, batch];
        var plane = size * size;
        using var scope = NewDisposeScope();
        // Each view is written normalised straight into the batch's memory, by the thread that made it.
        var all = empty([_views, batch, 3, size, size]);
        var rand = _config.ContrastViews switch { "rand-rand" => new[] { true, true, true }, "sim-rand" => [true, true, false], _ => [true, false, false] };
        var (mean, std) = (_augmenter.MeanValues, _augmenter.StdValues);
        var (kept, skipped) = Read(batch, i => _train.FullPath(indices[i]), (decoded, i) =>
        {
            var pixels = decoded.GetPixelSpan();
            var view = System.Buffers.ArrayPool<byte>.Shared.Rent(plane * 3);
            for (var v = 0; v < _views; v++)
            {
                var random = new Random(Seeds.Mix(stepSeed, i, v));
                var draw = Draw(random, decoded.Width, decoded.Height, v, rand[v]);
                draws[v, i] = draw;
                var target = view.AsSpan(0, plane * 3);
                PixelOps.ResizedCrop(pixels, decoded.Width, draw.Box.Left, draw.Box.Top, draw.Box.Width, draw.Box.Height, size, target);
                if (draw.Flip) PixelOps.FlipHorizontal(target, size);
                if (draw.Jitter)
                {
                    foreach (var op in draw.Order)
                    {
                        var factor = draw.Factors[op];
                        switch (op)
                        {
                            case 0: PixelOps.Brightness(target, factor); break;
                            case 1: PixelOps.Contrast(target, factor); break;
                            case 2: PixelOps.Saturation(target, factor); break;
                            default: if (v > 0) PixelOps.HueShift(target, factor); break;
                        }
                    }
                }
                if (draw.Gray) PixelOps.Grayscale(target);
                if (draw.Rand is not null) RandAugment.ApplyPixels(target, size, draw.Rand);
                PixelOps.Normalize(target, mean, std, MemoryMarshal.Cast<byte, float>(all.bytes).Slice((v * batch + i) * plane * 3, plane * 3));
            }
            System.Buffers.ArrayPool<byte>.Shared.Return(view);
        });
        if (kept.Length < 2)
            throw new InvalidDataException($"Step {step + 1} of epoch {epoch + 1} has {kept.Length} readable image(s) of {batch}: " +
                                           string.Join("; ", skipped.Take(3).Select(p => $"{p.Path}: {p.Reason}")));
        var n = kept.Length;
        for (var v = 0; v < _views && traces is not null; v++)
            foreach (var i in kept) TraceDraw(traces[v], draws[v, i], v);

        if (n < batch) all = all.index_select(1, tensor(kept.Select(i => (long)i).ToArray()));
        all = all.reshape(-1, 3, size, size);
        var labels = tensor(kept.Select(i => _train.Labels[indices[i]]).ToArray());
        return new PreparedBatch(all.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), skipped);
    }

    // One view's draws, from the image's own generator (seed, epoch, step, image, view): the crop box, the flip, for view 0
    // ColorJitter(0.4, 0.4, 0.4, 0) always, for the contrastive views ColorJitter(0.4, 0.4, 0.4, 0.1) with p 0.8 and
    // grayscale with p 0.2.
    private static ViewDraw Draw(Random random, int width, int height, int view, bool randAugment)
    {
        var box = CropBox(width, height, random);
        var flip = random.NextDouble() < 0.5;
        var jitter = view == 0 || random.NextDouble() < 0.8;
        int[] order = [0, 1, 2, 3]; // torchvision permutes all four, and skips hue where its range is 0
        random.Shuffle(order);
        var factors = new float[4];
        for (var k = 0; k < 3; k++) factors[k] = (float)(0.6 + 0.8 * random.NextDouble());
        factors[3] = view == 0 ? 0 : (float)(-0.1 + 0.2 * random.NextDouble());
        var gray = view > 0 && random.NextDouble() < 0.2;
        return new ViewDraw(box, width, height, flip, jitter, order, factors, gray, randAugment ? RandAugment.Draw(random) : null);
    }

    private static void TraceDraw(AugmentTrace trace, ViewDraw draw, int view)
    {
        Augmenter.TraceBox(trace, draw.Height, draw.Width, draw.Box.Top, draw.Box.Left, draw.Box.Height, draw.Box.Width);
        trace.Record("flip", draw.Flip ? 1 : 0);
        trace.Record("jitter", draw.Jitter ? 1 : 0);
        if (draw.Jitter)
        {
            trace.Record("jitter.brightness", draw.Factors[0]);
            trace.Record("jitter.contrast", draw.Factors[1]);
            trace.Record("jitter.saturation", draw.Factors[2]);
            if (view > 0) trace.Record("jitter.hue", draw.Factors[3]);
            trace.Record("jitter.first", draw.Order[0]);
        }
        if (view > 0) trace.Record("gray", draw.Gray ? 1 : 0);
        if (draw.Rand is not null) RandAugment.Trace(trace, draw.Rand);
    }

    public IEnumerable<PreparedBatch> Evaluation(IImageSplit split)
    {
        var files = (ImageFileSplit)split;
        var size = _config.CropSize;
        for (var start = 0; start < files.Count; start += _config.EvalBatchSize)
        {
            var length = Math.Min(_config.EvalBatchSize, files.Count - start);
            var first = start;
            using var scope = NewDisposeScope();
            var image = size * size * 3;
            var x = empty([length, 3, size, size]);
            var (mean, std) = (_augmenter.MeanValues, _augmenter.StdValues);
            var (kept, skipped) = Read(length, i => files.FullPath(first + i), (decoded, i) =>
            {
                var view = System.Buffers.ArrayPool<byte>.Shared.Rent(image);
                PixelOps.ResizeCentreCrop(decoded.GetPixelSpan(), decoded.Width, decoded.Height, EvalResize, size, view);
                PixelOps.Normalize(view.AsSpan(0, image), mean, std, MemoryMarshal.Cast<byte, float>(x.bytes).Slice(i * image, image));
                System.Buffers.ArrayPool<byte>.Shared.Return(view);
            });
            // The rows of unreadable files left out.
            if (kept.Length < length) x = x.index_select(0, tensor(kept.Select(i => (long)i).ToArray()));
            var labels = tensor(kept.Select(i => files.Labels[first + i]).ToArray());
            yield return OnDevice(new PreparedBatch(x.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), skipped));
        }
    }

    /// <summary>
    /// Decodes <paramref name="count"/> files on the loader threads and hands each readable one to <paramref name="use"/>
    /// (with its index) on the thread that decoded it. Gives which files were readable and the unreadable ones.
    /// </summary>
    private (int[] Kept, UnreadableImage[] Skipped) Read(int count, Func<int, string> pathOf, Action<SKBitmap, int> use)
    {
        var problems = new UnreadableImage?[count];
        _pool.For(count, i =>
        {
            using var decoded = TryDecode(pathOf(i), ref problems[i]);
            if (decoded is not null) use(decoded, i);
        });
        var kept = Enumerable.Range(0, count).Where(i => problems[i] is null).ToArray();
        return (kept, [.. problems.OfType<UnreadableImage>()]);
    }

    // Decodes a file; an unreadable one is noted (skip) or ends the run with its path (fail).
    private SKBitmap? TryDecode(string path, ref UnreadableImage? problem)
    {
        try
        {
            return ImageDecoder.Decode(path);
        }
        catch (UnreadableImageException e) when (_config.UnreadableImages == "skip")
        {
            problem = new UnreadableImage(e.Path, e.Reason);
            return null;
        }
    }

    /// <summary>
    /// torchvision's RandomResizedCrop box (scale 0.08-1, ratio 3/4-4/3): up to ten draws of area and
    /// log-uniform aspect ratio for a box that fits, else the centre crop with the ratio clamped.
    /// </summary>
    public static SKRectI CropBox(int width, int height, Random random)
    {
        var area = (double)width * height;
        var (logLow, logHigh) = (Math.Log(3.0 / 4), Math.Log(4.0 / 3));
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var target = area * (0.08 + random.NextDouble() * 0.92);
            var ratio = Math.Exp(logLow + random.NextDouble() * (logHigh - logLow));
            var w = (int)Math.Round(Math.Sqrt(target * ratio));
            var h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w > 0 && w <= width && h > 0 && h <= height)
            {
                var top = random.Next(height - h + 1);
                var left = random.Next(width - w + 1);
                return SKRectI.Create(left, top, w, h);
            }
        }
        var inRatio = (double)width / height;
        var (cw, ch) = inRatio < 3.0 / 4 ? (width, (int)Math.Round(width / (3.0 / 4)))
            : inRatio > 4.0 / 3 ? ((int)Math.Round(height * (4.0 / 3)), height)
            : (width, height);
        return SKRectI.Create((width - cw) / 2, (height - ch) / 2, cw, ch);
    }

    public void Dispose()
    {
        StopEpoch();
        _augmenter.Dispose();
        _pool.Dispose();
    }
}
