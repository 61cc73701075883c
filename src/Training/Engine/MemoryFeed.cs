using System.Threading.Channels;
using ProCo.Training.Augment;
using ProCo.Training.Datasets;
using TorchSharp;
using static TorchSharp.torch;

namespace ProCo.Training.Engine;

/// <summary>
/// The in-memory datasets (CIFAR, Fashion-MNIST): every image is on the device as bytes; a step's
/// views are drawn there by batched tensor operations (<see cref="Augmenter"/>), on the trainer's thread.
/// Preparing the next step's views on another thread while a step computes was measured and dropped:
/// on two cores a bf16 CIFAR step took 1.67 s instead of 1.11 s, as every op's static split between
/// the cores stalls whenever one of them is lent to that thread.
/// </summary>
public sealed class MemoryFeed : ITrainingFeed
{
    private readonly TrainingConfig _config;
    private readonly Augmenter _augmenter;
    private readonly bool _contrastive;
    private readonly Dictionary<IImageSplit, (Tensor Pixels, Tensor Labels)> _onDevice = new(ReferenceEqualityComparer.Instance);
    private readonly IImageSplit _train;
    private Tensor? _order;
    private int _epoch;

    public MemoryFeed(TrainingConfig config, TrainingData data, DatasetInfo dataset, Device device)
    {
        _config = config;
        _contrastive = TrainingMethods.IsContrastive(config.Method);
        _augmenter = new Augmenter(dataset.Mean, dataset.Std, device);
        _train = data.Train;
        foreach (var split in new[] { data.Train, data.Test, data.Val }.OfType<ImageDataset>().Distinct())
        {
            _onDevice[split] = (tensor(split.Pixels, [split.Count, split.Channels, split.Height, split.Width], ScalarType.Byte).to(device),
                tensor(split.Labels, device: device));
        }
    }

    public void StartEpoch(long[] order, int epoch, int firstStep)
    {
        _order?.Dispose();
        _order = tensor(order, device: _onDevice[_train].Pixels.device);
        _epoch = epoch;
    }

    public PreparedBatch Next(int step)
    {
        using var scope = NewDisposeScope();
        var batch = _config.BatchSize;
        var (pixels, labels) = _onDevice[_train];
        var indices = _order!.narrow(0, (long)step * batch, batch);
        var images = pixels.index_select(0, indices);
        var stepSeed = Seeds.Mix(_config.Seed, _epoch, step);
        var random = new Random(stepSeed);
        using var generator = new Generator((ulong)stepSeed);
        var views = _augmenter.RegularView(images, random, generator);
        if (_contrastive)
        {
            var view1 = _augmenter.ContrastiveView(images, random, generator);
            var view2 = _augmenter.ContrastiveView(images, random, generator);
            views = cat([views, view1, view2], 0);
        }
        return new PreparedBatch(views.MoveToOuterDisposeScope(), labels.index_select(0, indices).MoveToOuterDisposeScope(), []);
    }

    public void StopEpoch()
    {
    }

    public IEnumerable<PreparedBatch> Evaluation(IImageSplit split)
    {
        var (pixels, labels) = _onDevice[split];
        for (long start = 0; start < split.Count; start += _config.EvalBatchSize)
        {
            var length = Math.Min(_config.EvalBatchSize, split.Count - start);
            using var scope = NewDisposeScope();
            var images = _augmenter.Normalize(pixels.narrow(0, start, length)).MoveToOuterDisposeScope();
            yield return new PreparedBatch(images, labels.narrow(0, start, length).clone().MoveToOuterDisposeScope(), []);
        }
    }

    public void Dispose()
    {
        _augmenter.Dispose();
        _order?.Dispose();
        foreach (var (pixels, labels) in _onDevice.Values)
        {
            pixels.Dispose();
            labels.Dispose();
        }
    }
}
