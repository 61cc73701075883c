using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ProCo.Training.Engine;

/// <summary>
/// Dynamic loss scaling for fp16 training. fp16 gradients below about 6e-8 flush to zero, so the
/// loss is multiplied by <see cref="Scale"/> before the backward pass and the float32 gradients are
/// divided by it before the optimizer step. A step whose gradients hold an infinity or NaN is
/// skipped and the scale halves; after <see cref="GrowthInterval"/> good steps in a row it doubles.
/// The state (scale, good steps) is part of a checkpoint, so a resumed run scales as it would have.
/// </summary>
public sealed class LossScaler
{
    /// <summary>Starting scale, 2^16.</summary>
    public const double InitialScale = 65536;

    /// <summary>Good steps in a row before the scale doubles.</summary>
    public const int GrowthInterval = 2000;

    /// <summary>The scale never falls below this (a run whose gradients overflow even at scale 1 is diverging).</summary>
    public const double MinScale = 1;

    /// <summary>Current scale.</summary>
    public double Scale { get; private set; } = InitialScale;

    /// <summary>Good steps since the last change of scale.</summary>
    public int GoodSteps { get; private set; }

    /// <summary>Steps skipped so far because their gradients overflowed.</summary>
    public long SkippedSteps { get; private set; }

    /// <summary>The loss to differentiate: <paramref name="loss"/> times the scale.</summary>
    public Tensor ScaleLoss(Tensor loss) => loss * Scale;

    /// <summary>
    /// Divides every gradient by the scale and says whether all of them are finite; updates the
    /// scale. The caller steps the optimizer only when this returns true.
    /// </summary>
    public bool UnscaleAndCheck(IEnumerable<Parameter> parameters)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var finite = new List<Tensor>();
        foreach (var parameter in parameters)
        {
            if (parameter.grad is not { } grad) continue;
            grad.mul_(1 / Scale);
            finite.Add(grad.isfinite().all());
        }
        var ok = finite.Count == 0 || stack(finite).all().item<bool>();
        Update(ok);
        return ok;
    }

    /// <summary>Advances the schedule after a step whose gradients were finite (<paramref name="ok"/>) or not.</summary>
    public void Update(bool ok)
    {
        if (ok)
        {
            if (++GoodSteps < GrowthInterval) return;
            Scale *= 2;
        }
        else
        {
            SkippedSteps++;
            Scale = Math.Max(MinScale, Scale / 2);
        }
        GoodSteps = 0;
    }

    /// <summary>Restores a saved state.</summary>
    public void Restore(double scale, int goodSteps)
    {
        if (!(scale >= MinScale) || !double.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "A loss scale is finite and at least 1.");
        Scale = scale;
        GoodSteps = Math.Clamp(goodSteps, 0, GrowthInterval - 1);
    }
}
