using System.Collections;
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
        displayName ??= Path.GetFileName(path);
        Hashtable root;
        try
        {
            using var stream = File.OpenRead(path);
            root = PyTorchUnpickler.UnpickleStateDict(stream);
        }
        catch (Exception e) when (e is NotImplementedException or InvalidCastException or InvalidOperationException or InvalidDataException
                                      or IOException or ArgumentException or Razorvine.Pickle.PickleException)
        {
            throw new InvalidDataException($"{displayName} is not a PyTorch weights file this program reads (torch.save of a state_dict, " +
                                           $"or a checkpoint dict with a 'state_dict'): {e.Message}", e);
        }
        var table = root["state_dict"] as Hashtable ?? root;
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is not string key || entry.Value is not Tensor tensor) continue;
            tensors[key.StartsWith(DataParallelPrefix, StringComparison.Ordinal) ? key[DataParallelPrefix.Length..] : key] = tensor;
        }
        if (tensors.Count == 0)
            throw new InvalidDataException($"{displayName} holds no tensors at its top level or under 'state_dict'.");
        return tensors;
    }

    /// <summary>The architecture the tensors describe (depth, width, channels, classes, feature dimension, cosine classifier).</summary>
    public static ModelSpec InferSpec(IReadOnlyDictionary<string, Tensor> weights)
    {
        Tensor Need(string key) => weights.TryGetValue(key, out var t) ? t
            : throw new InvalidDataException($"The weights have no '{key}': not a ProCo model with the public code's module names.");
        var conv1 = Need("encoder.conv1.weight");
        var blocks = weights.Keys.Where(k => k.StartsWith("encoder.layer1.", StringComparison.Ordinal) && k.EndsWith(".conv1.weight", StringComparison.Ordinal)).Count();
        var fc = Need("fc.weight");
        var useNorm = !weights.ContainsKey("fc.bias");
        // A cosine classifier is stored [in, out], a linear one [out, in].
        var classes = (int)(useNorm ? fc.shape[1] : fc.shape[0]);
        var head = Need("head.3.weight");
        if (weights.TryGetValue("encoder.layer4.0.conv2.weight", out var grouped))
        {
            // torchvision's layout (the public ImageNet code): ResNeXt's 3×3 convolutions are grouped.
            var arch = grouped.shape[1] < grouped.shape[0] ? Architectures.ResNeXt50 : Architectures.ResNet50;
            return new ModelSpec(50, 1, (int)conv1.shape[1], classes, (int)head.shape[0], useNorm, (int)head.shape[1], arch,
                64 / (int)conv1.shape[0]);
        }
        return new ModelSpec(6 * blocks + 2, (int)conv1.shape[0] / 16, (int)conv1.shape[1], classes, (int)head.shape[0], useNorm, (int)head.shape[1]);
    }

    /// <summary>
    /// Copies the tensors into <paramref name="model"/>: every parameter and buffer must be there with
    /// its shape, and nothing else; the first mismatch is named.
    /// </summary>
    public static void LoadInto(nn.Module model, IReadOnlyDictionary<string, Tensor> weights)
    {
        var own = model.state_dict();
        foreach (var (key, target) in own)
        {
            if (!weights.TryGetValue(key, out var source))
                throw new InvalidDataException($"The weights have no '{key}' (shape [{string.Join(", ", target.shape)}]).");
            if (!source.shape.SequenceEqual(target.shape))
                throw new InvalidDataException($"'{key}' has shape [{string.Join(", ", source.shape)}] in the file, [{string.Join(", ", target.shape)}] here.");
        }
        if (weights.Keys.FirstOrDefault(k => !own.ContainsKey(k)) is { } extra)
            throw new InvalidDataException($"The weights hold '{extra}', which this model does not have.");
        using var noGrad = no_grad();
        foreach (var (key, target) in own) target.copy_(weights[key].to(target.dtype).to(target.device));
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
