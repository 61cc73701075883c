using System.Buffers.Binary;
using System.Text;

namespace ProCo.Data.TensorBoard;

/// <summary>One scalar of one tag at one step.</summary>
public readonly record struct ScalarEvent(string Tag, long Step, float Value, double WallTime);

/// <summary>What was read from one event file, with a warning where the read stopped early.</summary>
public sealed record EventFileContent(string Path, IReadOnlyList<ScalarEvent> Scalars, int Records, string? Warning);

/// <summary>
/// TensorBoard event files: TFRecord framing (length, masked CRC-32C of the length, data, masked
/// CRC-32C of the data) around Event protocol buffers. Scalars are read both the old way
/// (Summary.Value.simple_value) and the new way (a float tensor with the "scalars" plugin).
/// </summary>
public static class EventFiles
{
    /// <summary>Event files of a run folder, oldest first (by the timestamp in their name).</summary>
    public static string[] InFolder(string folder) =>
        Directory.GetFiles(folder, "*tfevents*").Order(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// Reads every whole record of a file. A corrupt or truncated record ends the read of that
    /// file: the records before it are kept and the warning names the file and the byte offset.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="display">How warnings name the file (default: its path).</param>
    public static EventFileContent Read(string path, string? display = null)
    {
        var data = File.ReadAllBytes(path);
        var name = display ?? path;
        var scalars = new List<ScalarEvent>();
        // One string per tag, not one per event: a long log repeats a handful of tags millions of times.
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        var records = 0;
        var offset = 0;
        while (offset < data.Length)
        {
            if (data.Length - offset < 12)
                return new(path, scalars, records, $"{name}: truncated record header at byte {offset}; {records} records before it were kept.");
            var length = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(offset));
            var lengthCrc = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset + 8));
            if (Crc32C.Masked(data.AsSpan(offset, 8)) != lengthCrc)
                return new(path, scalars, records, $"{name}: corrupt record length at byte {offset} (CRC mismatch); {records} records before it were kept.");
            // What is left after the 12-byte header and the 4-byte data CRC; the announced length must fit in it.
            var left = (long)data.Length - offset - 16;
            if (left < 0 || length > (ulong)left)
                return new(path, scalars, records, $"{name}: truncated record at byte {offset} ({length} bytes announced); {records} records before it were kept.");
            var payload = data.AsSpan(offset + 12, (int)length);
            var dataCrc = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset + 12 + (int)length));
            if (Crc32C.Masked(payload) != dataCrc)
                return new(path, scalars, records, $"{name}: corrupt record data at byte {offset} (CRC mismatch); {records} records before it were kept.");
            try
            {
                ParseEvent(payload, scalars, tags);
            }
            catch (InvalidDataException e)
            {
                return new(path, scalars, records, $"{name}: unreadable event at byte {offset} ({e.Message}); {records} records before it were kept.");
            }
            records++;
            offset += 16 + (int)length;
        }
        return new(path, scalars, records, null);
    }

    // Event: wall_time = 1 (double), step = 2 (int64), summary = 5.
    private static void ParseEvent(ReadOnlySpan<byte> bytes, List<ScalarEvent> scalars, Dictionary<string, string> tags)
    {
        var reader = new ProtoReader(bytes);
        double wallTime = 0;
        long step = 0;
        var values = new List<(string Tag, float Value)>();
        while (reader.More)
        {
            var (field, wire) = reader.Key();
            switch (field, wire)
            {
                case (1, 1): wallTime = reader.Double(); break;
                case (2, 0): step = (long)reader.Varint(); break;
                case (5, 2): ParseSummary(reader.Bytes(), values); break;
                default: reader.Skip(wire); break;
            }
        }
        foreach (var (tag, value) in values)
        {
            if (!tags.TryGetValue(tag, out var shared)) tags[tag] = shared = tag;
            scalars.Add(new ScalarEvent(shared, step, value, wallTime));
        }
    }

    // Summary: repeated Value value = 1.
    private static void ParseSummary(ReadOnlySpan<byte> bytes, List<(string, float)> values)
    {
        var reader = new ProtoReader(bytes);
        while (reader.More)
        {
            var (field, wire) = reader.Key();
            if (field == 1 && wire == 2) ParseValue(reader.Bytes(), values);
            else reader.Skip(wire);
        }
    }

    // Value: tag = 1, simple_value = 2 (float), metadata = 9, tensor = 8.
    private static void ParseValue(ReadOnlySpan<byte> bytes, List<(string, float)> values)
    {
        var reader = new ProtoReader(bytes);
        string? tag = null;
        float? simple = null;
        float? tensor = null;
        string? plugin = null;
        while (reader.More)
        {
            var (field, wire) = reader.Key();
            switch (field, wire)
            {
                case (1, 2): tag = reader.String(); break;
                case (2, 5): simple = reader.Float(); break;
                case (8, 2): tensor = ScalarTensor(reader.Bytes()); break;
                case (9, 2): plugin = PluginName(reader.Bytes()); break;
                default: reader.Skip(wire); break;
            }
        }
        if (tag is null) return;
        if (simple is { } s) values.Add((tag, s));
        else if (tensor is { } t && (plugin is null or "scalars")) values.Add((tag, t));
    }

    // SummaryMetadata.plugin_data = 1 { plugin_name = 1 }.
    private static string? PluginName(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        while (reader.More)
        {
            var (field, wire) = reader.Key();
            if (field == 1 && wire == 2)
            {
                var inner = new ProtoReader(reader.Bytes());
                while (inner.More)
                {
                    var (f, w) = inner.Key();
                    if (f == 1 && w == 2) return inner.String();
                    inner.Skip(w);
                }
            }
            else reader.Skip(wire);
        }
        return null;
    }

    // TensorProto: dtype = 1 (DT_FLOAT 1, DT_DOUBLE 2), tensor_shape = 2, tensor_content = 4,
    // float_val = 5 (packed), double_val = 6 (packed). Only single-element tensors are scalars.
    private static float? ScalarTensor(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        var dtype = 0UL;
        var content = ReadOnlySpan<byte>.Empty;
        float? floatVal = null;
        double? doubleVal = null;
        while (reader.More)
        {
            var (field, wire) = reader.Key();
            switch (field, wire)
            {
                case (1, 0): dtype = reader.Varint(); break;
                case (4, 2): content = reader.Bytes(); break;
                case (5, 2): { var packed = reader.Bytes(); if (packed.Length == 4) floatVal = BinaryPrimitives.ReadSingleLittleEndian(packed); break; }
                case (5, 5): floatVal = reader.Float(); break;
                case (6, 2): { var packed = reader.Bytes(); if (packed.Length == 8) doubleVal = BinaryPrimitives.ReadDoubleLittleEndian(packed); break; }
                case (6, 1): doubleVal = reader.Double(); break;
                default: reader.Skip(wire); break;
            }
        }
        return dtype switch
        {
            1 when content.Length == 4 => BinaryPrimitives.ReadSingleLittleEndian(content),
            1 => floatVal,
            2 when content.Length == 8 => (float)BinaryPrimitives.ReadDoubleLittleEndian(content),
            2 => doubleVal is { } d ? (float)d : null,
            _ => null,
        };
    }

    /// <summary>
    /// Writes an event file TensorBoard reads: the file_version record, then one event per scalar
    /// (old-style simple_value, the most widely readable form), in step order.
    /// </summary>
    public static void Write(Stream output, IEnumerable<ScalarEvent> scalars)
    {
        var version = new ProtoWriter();
        version.Double(1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
        version.String(3, "brain.Event:2");
        WriteRecord(output, version.ToArray());
        foreach (var scalar in scalars)
        {
            var value = new ProtoWriter();
            value.String(1, scalar.Tag);
            value.Float(2, scalar.Value);
            var summary = new ProtoWriter();
            summary.Bytes(1, value.ToArray());
            var e = new ProtoWriter();
            e.Double(1, scalar.WallTime);
            if (scalar.Step != 0) e.Int64(2, scalar.Step);
            e.Bytes(5, summary.ToArray());
            WriteRecord(output, e.ToArray());
        }
    }

    /// <summary>TensorBoard's file name for an event file.</summary>
    public static string FileName(DateTimeOffset created, string host) =>
        $"events.out.tfevents.{created.ToUnixTimeSeconds()}.{host}";

    private static void WriteRecord(Stream output, byte[] payload)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Masked(header[..8]));
        output.Write(header);
        output.Write(payload);
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32C.Masked(payload));
        output.Write(footer);
    }

}
