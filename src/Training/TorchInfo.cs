using TorchSharp;

namespace ProCo.Training;

/// <summary>What the TorchSharp runtime on this host can train on.</summary>
public static class TorchInfo
{
    /// <summary>The libtorch version TorchSharp loaded (forces the native library to load).</summary>
    public static string LibTorchVersion => torch.__version__;

    /// <summary>The TorchSharp managed assembly version.</summary>
    public static string TorchSharpVersion =>
        typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "unknown";

    /// <summary>Number of CUDA devices, 0 where CUDA is not available.</summary>
    public static int CudaDeviceCount => torch.cuda.is_available() ? torch.cuda.device_count() : 0;

    /// <summary>Threads libtorch uses for CPU ops.</summary>
    public static int CpuThreads => torch.get_num_threads();
}
