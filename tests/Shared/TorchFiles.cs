using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace ProCo.Tests;

/// <summary>
/// One tensor of a <c>torch.save</c> archive as its pickle will declare it, with the bytes its storage
/// entry holds (<see cref="Data"/>), or that many zero bytes deflated (<see cref="ZeroBytes"/>).
/// </summary>
public sealed record DeclaredTensor(string Name, string StorageType, long[] Shape, long[] Stride, long Offset, string Key, long StorageElements,
    byte[]? Data = null, long? ZeroBytes = null);

/// <summary>
/// Writes <c>torch.save</c> archives byte by byte as PyTorch lays them out (a zip of
/// <c>archive/data.pkl</c>, pickle protocol 2, and <c>archive/data/KEY</c> per storage), so that tests
/// can declare what PyTorch would never write: wrong ranks, huge or negative shapes, strides out of
/// their storage, storages that inflate to hundreds of megabytes, pickles that hold huge strings.
/// </summary>
public static class TorchFiles
{
    /// <summary>The tensors of <paramref name="model"/>'s state_dict, declared as torch.save declares them.</summary>
    public static List<DeclaredTensor> Of(nn.Module model)
    {
        var list = new List<DeclaredTensor>();
        foreach (var (name, tensor) in model.state_dict())
        {
            using var dense = tensor.detach().cpu().contiguous();
            var shape = dense.shape;
            var stride = new long[shape.Length];
            for (long i = shape.Length - 1, s = 1; i >= 0; s *= shape[i], i--) stride[i] = s;
            var type = dense.dtype switch
            {
                ScalarType.Float32 => "FloatStorage",
                ScalarType.Int64 => "LongStorage",
                ScalarType.Float64 => "DoubleStorage",
                var other => throw new NotSupportedException(other.ToString()),
            };
            list.Add(new DeclaredTensor(name, type, shape, stride, 0, list.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                dense.numel(), dense.bytes.ToArray()));
        }
        return list;
    }

    /// <summary>Writes the archive; <paramref name="note"/>, when given, is pickled beside the tensors as a string.</summary>
    public static void Write(string path, IEnumerable<DeclaredTensor> tensors, string? note = null)
    {
        var declared = tensors.ToList();
        using var file = File.Create(path);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        var pickle = zip.CreateEntry("archive/data.pkl", note is null ? CompressionLevel.NoCompression : CompressionLevel.SmallestSize);
        using (var output = pickle.Open())
        {
            var bytes = Pickle(declared, note);
            output.Write(bytes);
        }
        // A storage declared without bytes or zeros is left out of the archive (a missing entry).
        foreach (var storage in declared.GroupBy(t => t.Key).Select(g => g.First()).Where(s => s.Data is not null || s.ZeroBytes is not null))
        {
            var entry = zip.CreateEntry($"archive/data/{storage.Key}", storage.ZeroBytes is null ? CompressionLevel.NoCompression : CompressionLevel.SmallestSize);
            using var output = entry.Open();
            if (storage.Data is { } data) output.Write(data);
            if (storage.ZeroBytes is { } zeros)
            {
                var block = new byte[1 << 20];
                for (var left = zeros; left > 0; left -= block.Length) output.Write(block, 0, (int)Math.Min(block.Length, left));
            }
        }
        using (var version = zip.CreateEntry("archive/version").Open()) version.Write("3\n"u8);
        using (var order = zip.CreateEntry("archive/byteorder").Open()) order.Write("little"u8);
    }

    private static byte[] Pickle(List<DeclaredTensor> tensors, string? note)
    {
        var p = new MemoryStream();
        void Op(char c) => p.WriteByte((byte)c);
        void Str(string s)
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            Op('X');
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
            p.Write(length);
            p.Write(bytes);
        }
        void Int(long value)
        {
            Span<byte> bytes = stackalloc byte[8];
            if (value is >= int.MinValue and <= int.MaxValue)
            {
                Op('J');
                BinaryPrimitives.WriteInt32LittleEndian(bytes, (int)value);
                p.Write(bytes[..4]);
            }
            else
            {
                p.WriteByte(0x8a);
                p.WriteByte(8);
                BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
                p.Write(bytes);
            }
        }
        void Global(string module, string name) => p.Write(Encoding.ASCII.GetBytes($"c{module}\n{name}\n"));
        void Ints(long[] values)
        {
            Op('(');
            foreach (var v in values) Int(v);
            Op('t');
        }

        p.WriteByte(0x80);
        p.WriteByte(2);
        Op('}');
        Op('(');
        foreach (var t in tensors)
        {
            Str(t.Name);
            Global("torch._utils", "_rebuild_tensor_v2");
            Op('(');
            Op('(');
            Str("storage");
            Global("torch", t.StorageType);
            Str(t.Key);
            Str("cpu");
            Int(t.StorageElements);
            Op('t');
            Op('Q');
            Int(t.Offset);
            Ints(t.Shape);
            Ints(t.Stride);
            p.WriteByte(0x89);
            Global("collections", "OrderedDict");
            Op(')');
            Op('R');
            Op('t');
            Op('R');
        }
        if (note is not null)
        {
            Str("note");
            Str(note);
        }
        Op('u');
        Op('.');
        return p.ToArray();
    }
}
