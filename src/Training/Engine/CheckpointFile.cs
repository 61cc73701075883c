using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ProCo.Training.Losses;
using ProCo.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ProCo.Training.Engine;

/// <summary>What a checkpoint says about itself.</summary>
public sealed record CheckpointMeta
{
    public int FormatVersion { get; init; } = CheckpointFile.FormatVersion;
    public required TrainingConfig Config { get; init; }
    public required ModelSpec Spec { get; init; }
    /// <summary>Epochs fully completed.</summary>
    public int CompletedEpochs { get; init; }
    /// <summary>Steps already done in epoch CompletedEpochs + 1 (non-zero only for a cancellation mid-epoch).</summary>
    public int StepInEpoch { get; init; }
    public long GlobalStep { get; init; }
    public double BestTop1 { get; init; }
    public int BestEpoch { get; init; }
    /// <summary>Training images per class: the identity of the long-tailed subset.</summary>
    public required long[] ClassCounts { get; init; }
    public required IReadOnlyList<string> ClassNames { get; init; }
    /// <summary>RNG position: every random draw derives from (seed, epoch, step).</summary>
    public int Seed { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>epoch-end or cancelled.</summary>
    public string Reason { get; init; } = "epoch-end";
    /// <summary>The precision the run trains in (fp32, bf16, fp16; <c>auto</c> resolved); null in checkpoints written before precisions existed, which were fp32. Weights are float32 in every case.</summary>
    public string? Precision { get; init; }
    /// <summary>fp16 only: the dynamic loss scale and the good steps since it last changed.</summary>
    public double? LossScale { get; init; }
    public int? LossScaleGoodSteps { get; init; }
    /// <summary>An image dataset on disk: the fingerprint of its files and labels (<see cref="TrainingData.Fingerprint"/>); null for the built-in datasets, whose class counts identify the subset.</summary>
    public string? DataFingerprint { get; init; }
}

/// <summary>
/// One-file checkpoints: a header, the metadata as JSON, then the model, optimizer and ProCo
/// estimator states. Written to a temporary file and renamed, so a reader never sees half of one.
/// </summary>
public static class CheckpointFile
{
    public const int FormatVersion = 1;

    // Class counts in a message: all of CIFAR's, the first ones and the total of ImageNet's 1,000 or iNaturalist's 8,142.
    private static string Counts(long[] counts) =>
        counts.Length <= 20 ? string.Join("/", counts) : $"{string.Join("/", counts.Take(10))}/... ({counts.Length} classes, {counts.Sum()} images)";
    private static readonly byte[] Magic = "PROCOCK1"u8.ToArray();

    /// <summary>Writes atomically and returns (size, SHA-256).</summary>
    public static (long Size, string Sha256) Write(string path, CheckpointMeta meta, nn.Module model, optim.Optimizer optimizer, ProCoLoss? loss)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + $".tmp-{Environment.ProcessId}";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var writer = new BinaryWriter(file))
        {
            writer.Write(Magic);
            var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(meta, TrainingConfig.Json));
            writer.Write(json.Length);
            writer.Write(json);
            WriteSection(writer, w => model.save(w));
            WriteSection(writer, w => ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(w));
            WriteSection(writer, w =>
            {
                w.Write(loss is not null);
                if (loss is null) return;
                foreach (var estimator in new[] { loss.Old, loss.New })
                {
                    foreach (var t in new[] { estimator.Ave, estimator.Amount, estimator.Kappa, estimator.LogC }) WriteTensor(w, t);
                }
            });
            writer.Flush();
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        return (new FileInfo(path).Length, Sha256Of(path));
    }

    /// <summary>Reads only the metadata.</summary>
    public static CheckpointMeta ReadMeta(string path)
    {
        using var reader = Open(path);
        return ReadMeta(reader, path);
    }

    /// <summary>
    /// Restores model (and optimizer and estimators, when given) after checking that the checkpoint
    /// belongs to the same architecture and training subset.
    /// </summary>
    public static CheckpointMeta Load(string path, ProCoModel model, optim.Optimizer? optimizer, ProCoLoss? loss,
        long[]? expectedClassCounts = null, string? expectedDataset = null)
    {
        using var reader = Open(path);
        var meta = ReadMeta(reader, path);
        if (meta.Spec != model.Spec)
            throw new InvalidDataException(
                $"{path} holds a {meta.Spec.Describe()}, but this run builds a {model.Spec.Describe()}: a checkpoint only resumes the same architecture.");
        if (expectedDataset is not null && meta.Config.Dataset != expectedDataset)
            throw new InvalidDataException($"{path} was trained on {meta.Config.Dataset}, not {expectedDataset}.");
        if (expectedClassCounts is not null && !meta.ClassCounts.SequenceEqual(expectedClassCounts))
            throw new InvalidDataException(
                $"{path} was trained on a different long-tailed subset of {meta.Config.Dataset} " +
                $"(class counts {Counts(meta.ClassCounts)} vs {Counts(expectedClassCounts)}).");

        ReadSection(reader, path, r => model.load(r, strict: true));
        ReadSection(reader, path, r =>
        {
            if (optimizer is not null) ((TorchSharp.Modules.OptimizerHelper)optimizer).load_state_dict(r);
        });
        ReadSection(reader, path, r =>
        {
            if (!r.ReadBoolean() || loss is null) return;
            foreach (var estimator in new[] { loss.Old, loss.New })
            {
                using var ave = ReadTensor(r);
                using var amount = ReadTensor(r);
                using var kappa = ReadTensor(r);
                using var logc = ReadTensor(r);
                estimator.Load(ave, amount, kappa, logc);
            }
        });
        return meta;
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static BinaryReader Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint {path} does not exist.", path);
        var reader = new BinaryReader(File.OpenRead(path));
        var magic = reader.ReadBytes(Magic.Length);
        if (!magic.SequenceEqual(Magic))
        {
            reader.Dispose();
            throw new InvalidDataException($"{path} is not a ProCo Studio checkpoint.");
        }
        return reader;
    }

    private static CheckpointMeta ReadMeta(BinaryReader reader, string path)
    {
        try
        {
            var length = reader.ReadInt32();
            if (length <= 0 || length > 64 << 20) throw new InvalidDataException("bad metadata length");
            var meta = JsonSerializer.Deserialize<CheckpointMeta>(reader.ReadBytes(length), TrainingConfig.Json)
                       ?? throw new InvalidDataException("empty metadata");
            if (meta.FormatVersion != FormatVersion)
                throw new InvalidDataException($"format version {meta.FormatVersion}, this build reads {FormatVersion}");
            return meta;
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"{path}: unreadable checkpoint metadata ({e.Message}).", e);
        }
    }

    private static void WriteSection(BinaryWriter writer, Action<BinaryWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var sectionWriter = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true)) write(sectionWriter);
        writer.Write(buffer.Length);
        buffer.Position = 0;
        buffer.CopyTo(writer.BaseStream);
    }

    private static void ReadSection(BinaryReader reader, string path, Action<BinaryReader> read)
    {
        try
        {
            var length = reader.ReadInt64();
            var bytes = reader.ReadBytes(checked((int)length));
            if (bytes.Length != length) throw new EndOfStreamException();
            using var section = new BinaryReader(new MemoryStream(bytes));
            read(section);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path} is truncated.", e);
        }
    }

    private static void WriteTensor(BinaryWriter writer, Tensor t)
    {
        var values = t.to_type(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
        writer.Write(t.shape.Length);
        foreach (var d in t.shape) writer.Write(d);
        foreach (var v in values) writer.Write(v);
    }

    private static Tensor ReadTensor(BinaryReader reader)
    {
        var rank = reader.ReadInt32();
        var shape = new long[rank];
        for (var i = 0; i < rank; i++) shape[i] = reader.ReadInt64();
        var values = new double[shape.Aggregate(1L, (a, b) => a * b)];
        for (var i = 0; i < values.Length; i++) values[i] = reader.ReadDouble();
        return tensor(values, shape, ScalarType.Float64);
    }
}
