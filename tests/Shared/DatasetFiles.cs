using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ProCo.Tests;

/// <summary>Writes small dataset files in the real on-disk formats.</summary>
public static class DatasetFiles
{
    /// <summary>Deterministic pixels: image i, byte j = (i * 31 + j * 7) mod 256.</summary>
    public static byte[] Pixels(int count, int perImage)
    {
        var pixels = new byte[count * perImage];
        for (var i = 0; i < count; i++)
            for (var j = 0; j < perImage; j++) pixels[i * perImage + j] = (byte)((i * 31 + j * 7) % 256);
        return pixels;
    }

    public static void WriteIdx(string path, int count, int rows, int columns, byte[] pixels, byte[] labels, bool gzip)
    {
        var images = new byte[16 + pixels.Length];
        BinaryPrimitives.WriteInt32BigEndian(images, 0x00000803);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(12), columns);
        pixels.CopyTo(images, 16);
        var labelFile = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(labelFile, 0x00000801);
        BinaryPrimitives.WriteInt32BigEndian(labelFile.AsSpan(4), labels.Length);
        labels.CopyTo(labelFile, 8);
        Write(path.Replace("{kind}", "images-idx3-ubyte", StringComparison.Ordinal), images, gzip);
        Write(path.Replace("{kind}", "labels-idx1-ubyte", StringComparison.Ordinal), labelFile, gzip);
    }

    private static void Write(string path, byte[] bytes, bool gzip)
    {
        if (!gzip)
        {
            File.WriteAllBytes(path, bytes);
            return;
        }
        using var file = File.Create(path + ".gz");
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        gz.Write(bytes);
    }

    /// <summary>CIFAR binary records (CIFAR-100 records carry a coarse label first).</summary>
    public static void WriteCifarBinary(string path, byte[] pixels, long[] labels, bool cifar100)
    {
        using var file = File.Create(path);
        for (var i = 0; i < labels.Length; i++)
        {
            if (cifar100) file.WriteByte((byte)(labels[i] / 5));
            file.WriteByte((byte)labels[i]);
            file.Write(pixels, i * 3072, 3072);
        }
    }

    /// <summary>
    /// A CIFAR "python version" batch exactly as Python 2's cPickle.dump(dict, f, 2) lays it out:
    /// a dict of str keys, the pixels as a numpy uint8 ndarray (_reconstruct + BUILD with the raw
    /// bytes as a BINSTRING), labels as a list of small ints, filenames as a list of str.
    /// </summary>
    public static void WriteCifarPython(string path, byte[] pixels, long[] labels, bool cifar100)
    {
        var memo = 1;
        using var stream = new MemoryStream();
        void Op(char c) => stream.WriteByte((byte)c);
        void Put() { Op('q'); stream.WriteByte((byte)(memo++ % 256)); }
        void Str(string s)
        {
            var bytes = Encoding.ASCII.GetBytes(s);
            if (bytes.Length < 256) { Op('U'); stream.WriteByte((byte)bytes.Length); }
            else { Op('T'); Int32(bytes.Length); }
            stream.Write(bytes);
            Put();
        }
        void Int32(int v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, v); stream.Write(b); }
        void Int(long v)
        {
            if (v is >= 0 and < 256) { Op('K'); stream.WriteByte((byte)v); }
            else if (v is >= 0 and < 65536) { Op('M'); stream.WriteByte((byte)(v & 0xff)); stream.WriteByte((byte)(v >> 8)); }
            else { Op('J'); Int32((int)v); }
        }
        void Global(string module, string name) { Op('c'); stream.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n")); Put(); }
        void IntList(IEnumerable<long> values)
        {
            Op(']'); Put(); Op('(');
            foreach (var v in values) Int(v);
            Op('e');
        }

        stream.Write([0x80, 0x02]);
        Op('}'); Put(); Op('(');
        Str("batch_label"); Str("training batch 1 of 1");
        Str(cifar100 ? "fine_labels" : "labels"); IntList(labels);
        if (cifar100) { Str("coarse_labels"); IntList(labels.Select(l => l / 5)); }
        Str("data");
        Global("numpy.core.multiarray", "_reconstruct");
        Global("numpy", "ndarray");
        Int(0); Op('\x85'); Put(); Str("b"); Op('\x87'); Put(); Op('R'); Put();
        Op('('); Int(1); Int(labels.Length); Int(3072); Op('\x86'); Put();
        Global("numpy", "dtype"); Str("u1"); Int(0); Int(1); Op('\x87'); Put(); Op('R'); Put();
        Op('('); Int(3); Str("|"); Op('N'); Op('N'); Op('N'); Op('J'); Int32(-1); Op('J'); Int32(-1); Int(0); Op('t'); Put(); Op('b');
        Op('\x89'); Op('T'); Int32(pixels.Length); stream.Write(pixels); Put();
        Op('t'); Put(); Op('b');
        Str("filenames"); Op(']'); Put(); Op('(');
        for (var i = 0; i < labels.Length; i++) Str($"image_{i}.png");
        Op('e');
        Op('u'); Op('.');
        File.WriteAllBytes(path, stream.ToArray());
    }
}
