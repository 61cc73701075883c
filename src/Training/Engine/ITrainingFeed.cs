using ProCo.Training.Datasets;
namespace ProCo.Training.Engine;

/// <summary>Where a trainer's batches come from: images held on the device, or files decoded while the previous step computes.</summary>
public interface ITrainingFeed : IDisposable
{
    /// <summary>Begins an epoch's batches in <paramref name="order"/>, from <paramref name="firstStep"/>.</summary>
    void StartEpoch(long[] order, int epoch, int firstStep);

    /// <summary>The batch of <paramref name="step"/> (asked for in order after <see cref="StartEpoch"/>); the caller disposes it.</summary>
    PreparedBatch Next(int step);

    /// <summary>Ends the epoch early or on time; batches prepared ahead are dropped.</summary>
    void StopEpoch();

    /// <summary>The evaluation batches of <paramref name="split"/>, normalised, in order; the caller disposes each.</summary>
    IEnumerable<PreparedBatch> Evaluation(IImageSplit split);
}
