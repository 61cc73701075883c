using static TorchSharp.torch;

namespace ProCo.Training.Engine;

/// <summary>
/// The device words of a configuration: <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>, or <c>auto</c>, the default: the first
/// CUDA device when this process has one (a CUDA build on a machine with a GPU), else the CPU.
/// </summary>
public static class TrainingDevices
{
    /// <summary>The first CUDA device where there is one, else the CPU.</summary>
    public const string Auto = "auto";

    /// <summary>The device <paramref name="device"/> means in this process (auto resolved; anything else as it is).</summary>
    public static string Resolve(string device) => device == Auto ? (cuda.is_available() ? "cuda:0" : "cpu") : device;

    /// <summary>True for cuda and cuda:N.</summary>
    public static bool IsCuda(string device) => device.StartsWith("cuda", StringComparison.Ordinal);

    /// <summary>True for the words a configuration may hold: cpu, cuda, cuda:N (N ≥ 0) or auto.</summary>
    public static bool IsValid(string? device) =>
        device is "cpu" or "cuda" or Auto || (device is not null && device.StartsWith("cuda:", StringComparison.Ordinal) &&
                                              int.TryParse(device[5..], out var index) && index >= 0);

    /// <summary>What auto means here, and why ("cpu (no CUDA device in this build or on this machine)").</summary>
    public static string DescribeAuto() => cuda.is_available()
        ? $"cuda:0 (the first of {cuda.device_count()} CUDA device{(cuda.device_count() == 1 ? "" : "s")})"
        : "cpu (no CUDA device in this build or on this machine)";
}
