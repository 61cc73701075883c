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

    /// <summary>
    /// Decodes and augments the batch of <paramref name="step"/> in host memory (what the loader threads do; public for the
    /// benchmark). <paramref name="traces"/>, when given (one per view), record each view's draws.
    /// </summary>
    public PreparedBatch TrainBatch(long[] order, int epoch, int step, AugmentTrace[]? traces = null)
    {
        var batch = _config.BatchSize;
        var size = _config.CropSize;
        var stepSeed = Seeds.Mix(_config.Seed, epoch, step);
        var indices = Enumerable.Range(0, batch).Select(i => (int)order[(long)step * batch + i]).ToArray();
        var boxes = new (SKRectI Box, int Width, int Height)[_views, batch];
        using var scope = NewDisposeScope();
        var (x, kept, skipped) = Read(batch, _views, i => _train.FullPath(indices[i]), (decoded, i, slot) =>
        {
            for (var v = 0; v < _views; v++)
            {
                var random = new Random(Seeds.Mix(stepSeed, i, v));
                var box = CropBox(decoded.Width, decoded.Height, random);
                boxes[v, i] = (box, decoded.Width, decoded.Height);
                ImageDecoder.ResizedCrop(decoded, box, size, false, slot(v).Span);
            }
        });
        if (kept.Length < 2)
            throw new InvalidDataException($"Step {step + 1} of epoch {epoch + 1} has {kept.Length} readable image(s) of {batch}: " +
                                           string.Join("; ", skipped.Take(3).Select(p => $"{p.Path}: {p.Reason}")));
        var n = kept.Length;
        AugmentTrace? Trace(int view) => traces?[view];
        for (var v = 0; v < _views && traces is not null; v++)
        {
            foreach (var i in kept)
            {
                var (box, width, height) = boxes[v, i];
                Augmenter.TraceBox(Trace(v), height, width, box.Top, box.Left, box.Height, box.Width);
            }
        }
        var random = new Random(stepSeed);
        using var generator = new Generator((ulong)stepSeed);
        // One flip per row of every view, drawn at once.
        var flips = new AugmentTrace();
        x = Augmenter.RandomFlip(x, generator, traces is null ? null : flips);
        for (var v = 0; v < _views && traces is not null; v++)
            foreach (var flip in flips.Values["flip"].Skip(v * n).Take(n)) traces[v].Record("flip", flip);
        var views = new List<Tensor>
        {
            _augmenter.Normalize(RandAugment.Apply(Augmenter.ColorJitter(x.narrow(0, 0, n), 0.4, 0.4, 0.4, 0, 1.0, random, Trace(0)), random, Trace(0))),
        };
        for (var v = 1; v < _views; v++)
        {
            var view = Augmenter.ColorJitter(x.narrow(0, (long)v * n, n), 0.4, 0.4, 0.4, 0.1, 0.8, random, Trace(v));
            view = Augmenter.RandomGrayscale(view, 0.2, generator, Trace(v));
            var rand = _config.ContrastViews == "rand-rand" || (_config.ContrastViews == "sim-rand" && v == 1);
            if (rand) view = RandAugment.Apply(view, random, Trace(v));
            views.Add(_augmenter.Normalize(view));
        }
        var labels = tensor(kept.Select(i => _train.Labels[indices[i]]).ToArray());
        var all = views.Count == 1 ? views[0] : cat(views, 0);
        return new PreparedBatch(all.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), skipped);
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
            var (x, kept, skipped) = Read(length, 1, i => files.FullPath(first + i),
                (decoded, _, slot) => ImageDecoder.ResizeCentreCrop(decoded, EvalResize, size, slot(0).Span));
            var labels = tensor(kept.Select(i => files.Labels[first + i]).ToArray());
            yield return OnDevice(new PreparedBatch(_augmenter.Normalize(x).MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), skipped));
        }
    }

    /// <summary>
    /// Decodes <paramref name="count"/> files on the loader threads; <paramref name="cut"/> writes each readable
    /// image's <paramref name="views"/> views (crop size², RGBA) into the slots it is handed (view v of image i
    /// goes to row v·count + i). Gives the float 0..255 images of the readable files (N × 3 × size × size, in host
    /// memory, every view's rows in file order), which files those are, and the unreadable ones.
    /// </summary>
    private (Tensor Images, int[] Kept, UnreadableImage[] Skipped) Read(int count, int views, Func<int, string> pathOf,
        Action<SKBitmap, int, Func<int, Memory<byte>>> cut)
    {
        var size = _config.CropSize;
        var image = checked(size * size * 4);
        var pixels = new byte[checked(views * count * image)];
        var problems = new UnreadableImage?[count];
        _pool.For(count, i =>
        {
            using var decoded = TryDecode(pathOf(i), ref problems[i]);
            if (decoded is not null) cut(decoded, i, v => pixels.AsMemory((v * count + i) * image, image));
        });
        var kept = Enumerable.Range(0, count).Where(i => problems[i] is null).ToArray();
        // RGBA bytes to N × 3 × size × size floats; the rows of unreadable files left out.
        var x = tensor(pixels, [views * count, size, size, 4], ScalarType.Byte).narrow(3, 0, 3).permute(0, 3, 1, 2)
            .to_type(ScalarType.Float32).contiguous();
        if (kept.Length < count)
            x = x.index_select(0, tensor(Enumerable.Range(0, views).SelectMany(v => kept.Select(i => (long)(v * count + i))).ToArray()));
        return (x, kept, [.. problems.OfType<UnreadableImage>()]);
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
