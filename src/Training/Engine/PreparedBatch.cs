using ProCo.Training.Datasets;
using TorchSharp;
using static TorchSharp.torch;

namespace ProCo.Training.Engine;

/// <summary>One step's (or one evaluation batch's) images, ready for the network, and the files that had to be left out.</summary>
/// <param name="Views">Normalised float32 images: for a training step the batch's view 0, then (ProCo) views 1 and 2.</param>
/// <param name="Labels">Class per image of one view.</param>
/// <param name="Skipped">Unreadable files left out of this batch.</param>
public sealed record PreparedBatch(Tensor Views, Tensor Labels, IReadOnlyList<UnreadableImage> Skipped) : IDisposable
{
    public void Dispose()
    {
        Views.Dispose();
        Labels.Dispose();
    }
}
