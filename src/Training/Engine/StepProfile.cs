using System.Diagnostics;
using TorchSharp;

namespace ProCo.Training.Engine;

/// <summary>
/// Wall time of each phase of the training steps, for <c>proco bench</c>: where a step's time goes.
/// On the CPU every operation has finished when it returns, so the clock needs no synchronisation;
/// on CUDA each mark waits for the device.
/// </summary>
public sealed class StepProfile
{
    /// <summary>The phases in step order: gathering and augmenting the views, the network's forward pass, both losses, backward, the optimizer step, the step's numbers reaching the host.</summary>
    public static readonly IReadOnlyList<string> Phases = ["data", "forward", "loss", "backward", "update", "report"];

    private readonly Dictionary<string, List<double>> _seconds = Phases.ToDictionary(p => p, _ => new List<double>());
    private readonly bool _cuda;
    private long _last;

    /// <param name="cuda">True when training on a CUDA device (marks synchronise with it).</param>
    public StepProfile(bool cuda) => _cuda = cuda;

    internal void Begin() => _last = Stopwatch.GetTimestamp();

    internal void Mark(string phase)
    {
        if (_cuda) torch.cuda.synchronize();
        var now = Stopwatch.GetTimestamp();
        _seconds[phase].Add(Stopwatch.GetElapsedTime(_last, now).TotalSeconds);
        _last = now;
    }

    /// <summary>Median seconds of <paramref name="phase"/> over the steps after the first <paramref name="skip"/>.</summary>
    public double Median(string phase, int skip = 0) => Statistics.Median(_seconds[phase].Skip(skip));
}

/// <summary>Small statistics helpers.</summary>
public static class Statistics
{
    /// <summary>The median (mean of the middle two for an even count); NaN for no values.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
