using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace ProCo.Training.Models;

/// <summary>
/// ProCo model weights in PyTorch's <c>torch.save</c> format, both ways. Reads (a) a state_dict as
/// <c>model.state_dict()</c> gives it with the public code's module names, and (b) the authors'
/// released checkpoints: a dict whose <c>state_dict</c> carries DistributedDataParallel's
/// <c>module.</c> prefix beside other pickled entries (a loss object, the optimiser). Only tensors
/// are taken: the pickle is read as data, no class of it is constructed or run.
/// </summary>
public static class PyTorchWeights
{
    private const string DataParallelPrefix = "module.";

    /// <summary>True when the file starts like a <c>torch.save</c> archive (a zip).</summary>
    public static bool IsPyTorchFile(string path)
    {
        Span<byte> head = stackalloc byte[4];
        using var stream = File.OpenRead(path);
        return stream.Read(head) == 4 && head[0] == 0x50 && head[1] == 0x4b && head[2] == 0x03 && head[3] == 0x04;
    }

    /// <summary>The named tensors of a state_dict file or of a checkpoint's <c>state_dict</c> entry, the <c>module.</c> prefix removed.</summary>
    /// <param name="path">The file.</param>
    /// <param name="displayName">How messages name it (default: its file name), e.g. the name an upload came with.</param>
    public static Dictionary<string, Tensor> Read(string path, string? displayName = null)
    {
        using var archive = TorchArchive.Open(path, displayName);
        return archive.LoadAll();
    }

    /// <summary>The architecture the tensors describe (depth, width, channels, classes, feature dimension, cosine classifier).</summary>
    public static ModelSpec InferSpec(IReadOnlyDictionary<string, Tensor> weights) =>
        InferSpec(weights.ToDictionary(w => w.Key, w => w.Value.shape, StringComparer.Ordinal));

    /// <summary>
    /// The architecture tensors of these shapes describe, read from the shapes alone (a file's pickle
    /// declares them; nothing need be inflated). Refuses shapes no model of this program has.
    /// </summary>
    public static ModelSpec InferSpec(IReadOnlyDictionary<string, long[]> shapes)
    {
        long[] Need(string key, int rank) => shapes.TryGetValue(key, out var s)
            ? s.Length == rank ? s : throw new InvalidDataException($"'{key}' has {s.Length} dimensions ([{string.Join(", ", s)}]), not {rank}.")
            : throw new InvalidDataException($"The weights have no '{key}': not a ProCo model with the public code's module names.");
        int Within(long value, long max, string what) => value >= 1 && value <= max ? (int)value
            : throw new InvalidDataException($"The weights describe {value:N0} {what}; this program builds models with 1 to {max:N0}.");
        var conv1 = Need("encoder.conv1.weight", 4);
        var blocks = shapes.Keys.Count(k => k.StartsWith("encoder.layer1.", StringComparison.Ordinal) && k.EndsWith(".conv1.weight", StringComparison.Ordinal));
        var fc = Need("fc.weight", 2);
        var useNorm = !shapes.ContainsKey("fc.bias");
        // A cosine classifier is stored [in, out], a linear one [out, in].
        var classes = Within(useNorm ? fc[1] : fc[0], MaxClasses, "classes");
        var head = Need("head.3.weight", 2);
        var featDim = Within(head[0], MaxFeatureDim, "feature dimensions");
        var hidden = Within(head[1], MaxFeatureDim, "head inputs");
        var inChannels = Within(conv1[1], MaxInputChannels, "input channels");
        if (shapes.TryGetValue("encoder.layer4.0.conv2.weight", out var grouped))
        {
            // torchvision's layout (the public ImageNet code): ResNeXt's 3×3 convolutions are grouped.
            if (grouped.Length != 4) throw new InvalidDataException($"'encoder.layer4.0.conv2.weight' has {grouped.Length} dimensions, not 4.");
            var arch = grouped[1] < grouped[0] ? Architectures.ResNeXt50 : Architectures.ResNet50;
            var stem = Within(conv1[0], 64, "stem channels");
            if (64 % stem != 0) throw new InvalidDataException($"The weights' stem has {stem} channels; a ResNet-50 has 64 divided by its width.");
            return new ModelSpec(50, 1, inChannels, classes, featDim, useNorm, hidden, arch, 64 / stem);
        }
        var depth = Within(6 * blocks + 2, MaxDepth, "layers");
        var width = Within(conv1[0] / 16, MaxWidth, "as width multiplier");
        return new ModelSpec(depth, width, inChannels, classes, featDim, useNorm, hidden);
    }

    /// <summary>The most classes a weights file may describe (iNaturalist 2018 has 8,142).</summary>
    public const int MaxClasses = 100_000;

    private const int MaxFeatureDim = 1 << 16, MaxInputChannels = 64, MaxDepth = 1202, MaxWidth = 16;

    /// <summary>
    /// Copies the tensors into <paramref name="model"/>: every parameter and buffer must be there with
    /// its shape, and nothing else; the first mismatch is named.
    /// </summary>
    public static void LoadInto(nn.Module model, IReadOnlyDictionary<string, Tensor> weights)
    {
        var own = model.state_dict();
        CheckShapes(own, weights.ToDictionary(w => w.Key, w => w.Value.shape, StringComparer.Ordinal));
        using var noGrad = no_grad();
        foreach (var (key, target) in own) target.copy_(weights[key].to(target.dtype).to(target.device));
    }

    /// <summary>
    /// As <see cref="LoadInto(nn.Module, IReadOnlyDictionary{string, Tensor})"/>, from a file: the shapes
    /// its pickle declares are checked first, then one tensor at a time is inflated and copied.
    /// </summary>
    public static void LoadInto(nn.Module model, TorchArchive archive)
    {
        var own = model.state_dict();
        CheckShapes(own, archive.Shapes());
        using var noGrad = no_grad();
        foreach (var (key, target) in own)
        {
            using var source = archive.Load(archive.Tensors[key]);
            target.copy_(source.to(target.dtype).to(target.device));
        }
    }

    private static void CheckShapes(Dictionary<string, Tensor> own, IReadOnlyDictionary<string, long[]> shapes)
    {
        foreach (var (key, target) in own)
        {
            if (!shapes.TryGetValue(key, out var source))
                throw new InvalidDataException($"The weights have no '{key}' (shape [{string.Join(", ", target.shape)}]).");
            if (!source.SequenceEqual(target.shape))
                throw new InvalidDataException($"'{key}' has shape [{string.Join(", ", source)}] in the file, [{string.Join(", ", target.shape)}] here.");
        }
        if (shapes.Keys.FirstOrDefault(k => !own.ContainsKey(k)) is { } extra)
            throw new InvalidDataException($"The weights hold '{extra}', which this model does not have.");
    }

    /// <summary>Writes the model's state_dict as <c>torch.save</c> would, with the public code's module names.</summary>
    public static void Save(nn.Module model, string path) => model.save_py(path);

    /// <summary>The weights of a ProCo Studio checkpoint (<c>.ckpt</c>) as a PyTorch state_dict, written to <paramref name="output"/>.</summary>
    public static ModelSpec FromCheckpoint(string checkpointPath, Stream output)
    {
        var meta = Engine.CheckpointFile.ReadMeta(checkpointPath);
        using var model = new ProCoModel(meta.Spec);
        Engine.CheckpointFile.Load(checkpointPath, model, null, null);
        model.save_py(output, leaveOpen: true);
        return meta.Spec;
    }
}
