using System.Diagnostics;
using System.Globalization;
using ProCo.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ProCo.Training.Engine;

/// <summary>
/// The arithmetic a run trains in, with <c>auto</c> resolved for its device: the network's compute
/// type (weights, BatchNorm statistics and optimizer state stay float32; the vMF normaliser and the
/// norm ‖κμ + z/τ‖ stay float64), the activation layout, and whether the loss is scaled.
/// </summary>
/// <param name="Name">fp32, bf16 or fp16.</param>
/// <param name="Mode">Compute type and layout of the network's forward pass.</param>
/// <param name="LossScaling">Dynamic loss scaling (fp16 only: its gradients underflow without it).</param>
/// <param name="Reason">Why this precision, in a few words ("auto: this CPU has avx512_bf16").</param>
public sealed record PrecisionPlan(string Name, ComputeMode Mode, bool LossScaling, string Reason)
{
    public const string Auto = "auto";
    public const string Fp32 = "fp32";
    public const string Bf16 = "bf16";
    public const string Fp16 = "fp16";

    /// <summary>The setting's words, for the config field.</summary>
    public static readonly string[] Settings = [Auto, Fp32, Bf16, Fp16];

    /// <summary>Bytes of one activation value for a precision setting on a device (<c>auto</c> resolved); never throws.</summary>
    public static int ActivationBytesOf(string setting, Device device) =>
        (setting == Auto ? Resolve(Auto, device).Name : setting) == Fp32 ? 4 : 2;

    /// <summary>Why <paramref name="setting"/> cannot train on <paramref name="device"/>, or null when it can.</summary>
    public static string? Unsupported(string setting, Device device) =>
        setting == Fp16 && device.type == DeviceType.CPU && !HardwareSupport.FastFp16(device)
            ? "fp16 needs a CUDA GPU or a CPU with avx512_fp16 or AMX-FP16; this CPU has neither. Use bf16 or auto (or fp32)."
            : null;

    /// <summary>
    /// Resolves a precision setting for a device. <c>auto</c> gives fp32 on the CPU, the public code's
    /// arithmetic, whatever the CPU offers (bf16 there is opt-in): on an AVX-512 CPU with avx512_bf16,
    /// libtorch 2.10's bf16 CPU kernels failed a 40-epoch run of the browser tests at epoch 29 with a
    /// native "alpha must not be a floating point number" error that no fp32 run has shown, and a test
    /// host died in a suite that trained in bf16. On a GPU of compute capability 8.0 or newer <c>auto</c>
    /// gives bf16, fp32 on older ones.
    /// </summary>
    public static PrecisionPlan Resolve(string setting, Device device)
    {
        if (setting != Auto) return For(setting, device, "as configured");
        if (device.type == DeviceType.CPU)
            return For(Fp32, device, HardwareSupport.FastBf16(device) is { } why
                ? $"auto: fp32 on the CPU, the public code's arithmetic ({why}: bf16 is opt-in, --precision bf16)"
                : $"auto: fp32 on the CPU, the public code's arithmetic ({HardwareSupport.NoFastBf16(device)})");
        return HardwareSupport.FastBf16(device) is { } fast
            ? For(Bf16, device, $"auto: {fast}")
            : For(Fp32, device, $"auto: {HardwareSupport.NoFastBf16(device)}");
    }

    /// <summary>The plan of a concrete precision (fp32, bf16 or fp16) on a device.</summary>
    public static PrecisionPlan For(string name, Device device, string reason)
    {
        // libtorch has no fp16 convolution on such a CPU: it falls back to a path that is about 25x
        // slower than fp32 here and crashed a test host once, so a run is refused rather than started.
        if (Unsupported(name, device) is { } why) throw new ArgumentException(why, nameof(name));
        var type = name switch
        {
            Fp32 => ScalarType.Float32,
            Bf16 => ScalarType.BFloat16,
            Fp16 => ScalarType.Float16,
            _ => throw new ArgumentException($"Unknown precision '{name}': use {string.Join(", ", Settings)}.", nameof(name)),
        };
        return new PrecisionPlan(name, new ComputeMode(type, ChannelsLastPays(device, type)), type == ScalarType.Float16, reason);
    }

    /// <summary>
    /// Channels-last for the reduced types on the CPU, where it measured faster; never for fp32, whose runs are
    /// the public code's arithmetic. On the CPU (oneDNN) channels-last is faster for every type: the forward and
    /// backward pass of a ResNet-32 over 768 view-images took 1.0 s instead of 1.25 s in bf16 and 1.8 s instead
    /// of 2.1 s in fp32 on two cores (medians); ResNet-50 too, 1.11 s instead of 1.26 s in bf16 (its 1×1
    /// convolutions run as matrix products, see ComputeMode.Pointwise). But libtorch's channels-last BatchNorm
    /// sums its batch statistics in float32 in one pass: over a 768×16×32×32 batch its output is 3.4e-4 off a
    /// float64 reference where the contiguous kernel's is 5e-7, and a float32 run's first steps drifted from the
    /// public code's by 100 times its own float32 rounding (<c>StepEquivalenceTests</c>). Under bf16 that error
    /// stays below the type's own rounding (1.6e-2 on the same batch, in either layout).
    /// On CUDA the contiguous layout is kept: cuDNN's NHWC kernels pay only for fp16/bf16 on tensor
    /// cores, which has not been measured for this network.
    /// </summary>
    public static bool ChannelsLastPays(Device device, ScalarType type) => device.type == DeviceType.CPU && type != ScalarType.Float32;

    /// <summary>"bf16 (auto: this CPU has avx512_bf16), channels-last".</summary>
    public override string ToString() => $"{Name} ({Reason}){(Mode.ChannelsLast ? ", channels-last" : "")}";
}

/// <summary>What the training hardware computes natively.</summary>
public static class HardwareSupport
{
    private static readonly Lazy<IReadOnlySet<string>> CpuFlagSet = new(ReadCpuFlags);
    // One nvidia-smi call per GPU and process: auto is resolved at every validation of a run (the budget).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, double?> Capabilities = new();

    /// <summary>The CPU's feature flags (Linux /proc/cpuinfo); empty elsewhere.</summary>
    public static IReadOnlySet<string> CpuFlags => CpuFlagSet.Value;

    /// <summary>Why bf16 is fast on <paramref name="device"/>, or null when it is not known to be.</summary>
    public static string? FastBf16(Device device)
    {
        if (device.type == DeviceType.CPU)
        {
            var native = new[] { "amx_bf16", "avx512_bf16" }.Where(CpuFlags.Contains).ToList();
            return native.Count > 0 ? $"this CPU has {string.Join(" and ", native)}" : null;
        }
        if (device.type == DeviceType.CUDA && Capabilities.GetOrAdd(device.index < 0 ? 0 : device.index, CudaComputeCapability) is { } capability
            && capability >= 8.0)
            return string.Create(CultureInfo.InvariantCulture, $"this GPU has compute capability {capability:0.0}");
        return null;
    }

    /// <summary>Why bf16 is not chosen on <paramref name="device"/>.</summary>
    public static string NoFastBf16(Device device) => device.type == DeviceType.CPU
        ? "this CPU has neither avx512_bf16 nor AMX, so bf16 would be emulated"
        : "the GPU's compute capability is below 8.0 or unknown";

    /// <summary>True when fp16 arithmetic is native on <paramref name="device"/> (CUDA, or a CPU with avx512_fp16 or AMX-FP16).</summary>
    public static bool FastFp16(Device device) =>
        device.type == DeviceType.CUDA || CpuFlags.Contains("avx512_fp16") || CpuFlags.Contains("amx_fp16");

    private static HashSet<string> ReadCpuFlags()
    {
        try
        {
            if (!OperatingSystem.IsLinux() || !File.Exists("/proc/cpuinfo")) return new HashSet<string>();
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
            return line is null ? new HashSet<string>() : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..]
                .Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        }
        catch (IOException)
        {
            return new HashSet<string>();
        }
    }

    // libtorch's C API in TorchSharp does not expose device properties; the driver's tool does.
    private static double? CudaComputeCapability(int index)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("nvidia-smi", ["--query-gpu=compute_cap", "--format=csv,noheader", $"--id={index}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (process is null) return null;
            var text = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(10_000) || process.ExitCode != 0) return null;
            return double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
