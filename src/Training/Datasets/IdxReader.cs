using System.Buffers.Binary;

namespace ProCo.Training.Datasets;

/// <summary>The IDX format of MNIST and Fashion-MNIST (big-endian header, unsigned bytes).</summary>
public static class IdxReader
{
    /// <summary>Reads an images file (magic 0x00000803): count, rows, columns and the pixels.</summary>
    public static (int Count, int Rows, int Columns, byte[] Pixels) ReadImages(string path)
    {
        var bytes = DataFiles.ReadAll(path);
        var dims = Header(path, bytes, expectedDims: 3);
        var expected = (long)dims[0] * dims[1] * dims[2];
        var available = bytes.Length - 16L;
        if (available != expected)
            throw new InvalidDataException(
                $"{path}: the header promises {dims[0]} images of {dims[1]}x{dims[2]} ({expected} bytes) but the file holds {available} bytes of pixels{(available < expected ? " (truncated)" : "")}.");
        return (dims[0], dims[1], dims[2], bytes[16..]);
    }

    /// <summary>Reads a labels file (magic 0x00000801).</summary>
    public static byte[] ReadLabels(string path)
    {
        var bytes = DataFiles.ReadAll(path);
        var dims = Header(path, bytes, expectedDims: 1);
        var available = bytes.Length - 8L;
        if (available != dims[0])
            throw new InvalidDataException(
                $"{path}: the header promises {dims[0]} labels but the file holds {available}{(available < dims[0] ? " (truncated)" : "")}.");
        return bytes[8..];
    }

    private static int[] Header(string path, byte[] bytes, int expectedDims)
    {
        var headerSize = 4 + 4 * expectedDims;
        if (bytes.Length < headerSize)
            throw new InvalidDataException($"{path}: {bytes.Length} bytes is too short for an IDX header.");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw new InvalidDataException($"{path}: not an IDX file (the magic number must start with two zero bytes).");
        if (bytes[2] != 0x08)
            throw new InvalidDataException($"{path}: IDX element type 0x{bytes[2]:x2} is not unsigned bytes (0x08).");
        if (bytes[3] != expectedDims)
            throw new InvalidDataException($"{path}: an IDX file with {bytes[3]} dimensions where {expectedDims} were expected.");
        var dims = new int[expectedDims];
        for (var i = 0; i < expectedDims; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (dims[i] < 0) throw new InvalidDataException($"{path}: negative dimension {dims[i]} in the IDX header.");
        }
        return dims;
    }
}
