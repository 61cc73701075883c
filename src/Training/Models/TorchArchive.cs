using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Text;
using static TorchSharp.torch;

namespace ProCo.Training.Models;

/// <summary>What a weights file may declare before anything of it is inflated.</summary>
/// <param name="MaxPickleBytes">The pickle (<c>data.pkl</c>): names, shapes and whatever else the file's author pickled.</param>
/// <param name="MaxTensorBytes">All tensors of the state_dict together, as they would be in memory.</param>
/// <param name="MaxDimension">Any one dimension of a tensor.</param>
public sealed record WeightsLimits(long MaxPickleBytes, long MaxTensorBytes, long MaxDimension)
{
    /// <summary>
    /// Room for the largest model this program trains (a ResNeXt-50 with a cosine classifier over
    /// iNaturalist's 8,142 classes holds about 160 MB of float32) several times over, and for the
    /// pickles of released checkpoints (tens of KB), not for a file that inflates to gigabytes.
    /// </summary>
    public static WeightsLimits Default { get; } = new(16L << 20, 1L << 30, 1L << 24);
}

/// <summary>One tensor of a weights file as its pickle declares it: nothing of it read yet.</summary>
public sealed record TensorEntry(string Name, ScalarType DType, long[] Shape, long[] Stride, long Offset, string StorageKey, long StorageElements)
{
    /// <summary>The number of elements of the tensor.</summary>
    public long Elements => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// A <c>torch.save</c> archive (a zip of <c>data.pkl</c> and one entry per storage) read as data and
/// within <see cref="WeightsLimits"/>: the zip's directory and the pickle are checked first (declared
/// sizes, dtypes, shapes, strides and offsets), and a tensor's storage is inflated only when it is
/// loaded, as a stream that may not yield more than the entry declares. The pickle is interpreted
/// without constructing or calling anything it names: tensors become <see cref="TensorEntry"/>s,
/// dicts and lists stay dicts and lists, any other object is kept as inert data.
/// </summary>
public sealed class TorchArchive : IDisposable
{
    private const string DataParallelPrefix = "module.";
    private readonly ZipArchive _zip;
    private readonly string _prefix;
    private readonly string _displayName;

    /// <summary>The tensors of the state_dict (at the top level, or under <c>state_dict</c>), the <c>module.</c> prefix removed.</summary>
    public IReadOnlyDictionary<string, TensorEntry> Tensors { get; }

    private TorchArchive(ZipArchive zip, string prefix, string displayName, IReadOnlyDictionary<string, TensorEntry> tensors)
    {
        _zip = zip;
        _prefix = prefix;
        _displayName = displayName;
        Tensors = tensors;
    }

    /// <summary>Opens <paramref name="path"/> and checks what it declares; throws <see cref="InvalidDataException"/> naming the first problem.</summary>
    public static TorchArchive Open(string path, string? displayName = null, WeightsLimits? limits = null)
    {
        displayName ??= Path.GetFileName(path);
        limits ??= WeightsLimits.Default;
        var stream = File.OpenRead(path);
        ZipArchive? zip = null;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read);
            var pickle = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl")
                .OrderBy(e => e.FullName.Length).FirstOrDefault()
                ?? throw new InvalidDataException("no data.pkl in the archive");
            var prefix = pickle.FullName[..^"data.pkl".Length];
            if (zip.GetEntry(prefix + "byteorder") is { } order && ReadText(order, 16) is var text && text != "little")
                throw new InvalidDataException($"its tensors are stored {text}-endian");
            if (pickle.Length > limits.MaxPickleBytes)
                throw new InvalidDataException($"its pickle declares {pickle.Length:N0} bytes, more than the {limits.MaxPickleBytes:N0} a weights file may hold");
            var root = TorchPickle.Load(ReadBounded(pickle, pickle.Length));
            var table = root is Dictionary<object, object?> top && top.TryGetValue("state_dict", out var inner) && inner is Dictionary<object, object?> nested
                ? nested
                : root as Dictionary<object, object?> ?? throw new InvalidDataException("its pickle holds no dict");
            var tensors = new Dictionary<string, TensorEntry>(StringComparer.Ordinal);
            long total = 0;
            foreach (var (key, value) in table)
            {
                if (key is not string name || value is not TensorEntry raw) continue;
                name = name.StartsWith(DataParallelPrefix, StringComparison.Ordinal) ? name[DataParallelPrefix.Length..] : name;
                var entry = raw with { Name = name };
                Check(entry, zip, prefix, limits);
                total += entry.Elements * ElementSize(entry.DType);
                if (total > limits.MaxTensorBytes)
                    throw new InvalidDataException($"its tensors declare more than the {limits.MaxTensorBytes:N0} bytes a weights file may hold");
                tensors[name] = entry;
            }
            if (tensors.Count == 0) throw new InvalidDataException("it holds no tensors at its top level or under 'state_dict'");
            return new TorchArchive(zip, prefix, displayName, tensors);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or OverflowException or InvalidCastException or ArgumentException
                                      or KeyNotFoundException or IndexOutOfRangeException or NotSupportedException)
        {
            zip?.Dispose();
            stream.Dispose();
            throw new InvalidDataException($"{displayName} is not a PyTorch weights file this program reads (torch.save of a state_dict, " +
                                           $"or a checkpoint dict with a 'state_dict'): {e.Message}.", e);
        }
    }

    /// <summary>The shapes of the tensors, by name.</summary>
    public IReadOnlyDictionary<string, long[]> Shapes() => Tensors.ToDictionary(t => t.Key, t => t.Value.Shape, StringComparer.Ordinal);

    /// <summary>Inflates every storage the tensors use as a stream, checking it yields exactly what it declares (nothing is kept).</summary>
    public void Verify()
    {
        var buffer = new byte[1 << 16];
        foreach (var key in Tensors.Values.Select(t => t.StorageKey).Distinct())
        {
            var entry = StorageEntry(key);
            using var input = entry.Open();
            long read = 0;
            int n;
            while ((n = input.Read(buffer)) > 0)
            {
                read += n;
                if (read > entry.Length) throw Invalid($"storage '{key}' inflates past the {entry.Length:N0} bytes it declares");
            }
            if (read != entry.Length) throw Invalid($"storage '{key}' ends after {read:N0} of its {entry.Length:N0} bytes");
        }
    }

    /// <summary>Reads one tensor: only the part of its storage it covers is inflated.</summary>
    public Tensor Load(TensorEntry tensor)
    {
        var size = ElementSize(tensor.DType);
        var extent = Extent(tensor);
        var bytes = new byte[checked(extent * size)];
        var entry = StorageEntry(tensor.StorageKey);
        using (var input = entry.Open())
        {
            Skip(input, tensor.Offset * size, tensor.StorageKey);
            input.ReadExactly(bytes);
        }
        using var flat = empty(extent, tensor.DType);
        flat.bytes = bytes;
        using var view = flat.as_strided(tensor.Shape, tensor.Stride);
        return view.clone();
    }

    /// <summary>Reads every tensor.</summary>
    public Dictionary<string, Tensor> LoadAll()
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, entry) in Tensors) tensors[name] = Load(entry);
            return tensors;
        }
        catch (Exception e) when (e is IOException or EndOfStreamException)
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw Invalid(e.Message);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _zip.Dispose();

    private InvalidDataException Invalid(string why) => new($"{_displayName}: {why}.");

    private ZipArchiveEntry StorageEntry(string key) =>
        _zip.GetEntry($"{_prefix}data/{key}") ?? throw Invalid($"storage '{key}' is missing");

    private static void Skip(Stream input, long bytes, string key)
    {
        var buffer = new byte[1 << 16];
        while (bytes > 0)
        {
            var n = input.Read(buffer, 0, (int)Math.Min(buffer.Length, bytes));
            if (n == 0) throw new InvalidDataException($"storage '{key}' ends early");
            bytes -= n;
        }
    }

    private static void Check(TensorEntry t, ZipArchive zip, string prefix, WeightsLimits limits)
    {
        if (t.Shape.Length != t.Stride.Length || t.Shape.Length > 8)
            throw new InvalidDataException($"'{t.Name}' declares {t.Shape.Length} dimensions and {t.Stride.Length} strides");
        if (t.Shape.Any(d => d < 0 || d > limits.MaxDimension))
            throw new InvalidDataException($"'{t.Name}' declares shape [{string.Join(", ", t.Shape)}]: each dimension must be between 0 and {limits.MaxDimension:N0}");
        if (t.Stride.Any(s => s < 0 || s > limits.MaxTensorBytes) || t.Offset < 0)
            throw new InvalidDataException($"'{t.Name}' declares strides [{string.Join(", ", t.Stride)}] and offset {t.Offset}: none may be negative or beyond the size limit");
        var elements = t.Shape.Aggregate(BigInteger.One, (a, b) => a * b);
        if (elements * ElementSize(t.DType) > limits.MaxTensorBytes)
            throw new InvalidDataException($"'{t.Name}' declares shape [{string.Join(", ", t.Shape)}], more than the {limits.MaxTensorBytes:N0} bytes a weights file may hold");
        var extent = Extent(t);
        // A tensor may share its storage or view part of it, but may not spread a few elements over more
        // storage than it has elements (the layouts torch.save writes are dense).
        if (extent > Math.Max((long)elements, 1) || t.Offset > t.StorageElements || extent > t.StorageElements - t.Offset)
            throw new InvalidDataException($"'{t.Name}' (shape [{string.Join(", ", t.Shape)}], strides [{string.Join(", ", t.Stride)}], offset {t.Offset}) " +
                                           $"does not lie densely within its storage of {t.StorageElements:N0} elements");
        var entry = zip.GetEntry($"{prefix}data/{t.StorageKey}") ?? throw new InvalidDataException($"storage '{t.StorageKey}' of '{t.Name}' is missing");
        if (entry.Length != checked(t.StorageElements * ElementSize(t.DType)))
            throw new InvalidDataException($"storage '{t.StorageKey}' of '{t.Name}' holds {entry.Length:N0} bytes, not the {t.StorageElements * ElementSize(t.DType):N0} its pickle declares");
    }

    /// <summary>How many elements of the storage, from the offset on, the tensor reaches.</summary>
    private static long Extent(TensorEntry t)
    {
        if (t.Shape.Any(d => d == 0)) return 0;
        var last = BigInteger.Zero;
        for (var i = 0; i < t.Shape.Length; i++) last += (BigInteger)(t.Shape[i] - 1) * t.Stride[i];
        return last + 1 > long.MaxValue / 16 ? long.MaxValue / 16 : (long)(last + 1);
    }

    internal static int ElementSize(ScalarType type) => type switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    private static byte[] ReadBounded(ZipArchiveEntry entry, long declared)
    {
        using var input = entry.Open();
        var bytes = new byte[declared];
        input.ReadExactly(bytes);
        if (input.ReadByte() >= 0) throw new InvalidDataException($"{entry.Name} inflates past the {declared:N0} bytes it declares");
        return bytes;
    }

    private static string ReadText(ZipArchiveEntry entry, int max) =>
        entry.Length > max ? throw new InvalidDataException($"{entry.Name} is {entry.Length:N0} bytes") : Encoding.ASCII.GetString(ReadBounded(entry, entry.Length)).Trim();
}

/// <summary>
/// The pickle of a <c>torch.save</c> archive, read as data: every opcode of protocols 0-5 that plain
/// data and <c>torch.save</c> use; storages (persistent ids) and <c>torch._utils._rebuild_tensor_v2</c>
/// become <see cref="TensorEntry"/>s, <c>collections.OrderedDict</c> a dict, any other global an
/// inert <see cref="Inert"/> value. Nothing named in the pickle is imported, constructed or called.
/// </summary>
internal static class TorchPickle
{
    private sealed record Global(string Module, string Name);

    /// <summary>An object of a class this program does not know, kept as its class, arguments and state.</summary>
    internal sealed record Inert(string Class, object? Arguments)
    {
        public object? State { get; set; }
    }

    private sealed record Storage(ScalarType DType, string Key, long Elements);

    private sealed class Mark
    {
        public static readonly Mark Instance = new();
    }

    private static readonly Dictionary<string, ScalarType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = ScalarType.Float32, ["DoubleStorage"] = ScalarType.Float64, ["HalfStorage"] = ScalarType.Float16,
        ["BFloat16Storage"] = ScalarType.BFloat16, ["LongStorage"] = ScalarType.Int64, ["IntStorage"] = ScalarType.Int32,
        ["ShortStorage"] = ScalarType.Int16, ["CharStorage"] = ScalarType.Int8, ["ByteStorage"] = ScalarType.Byte, ["BoolStorage"] = ScalarType.Bool,
    };

    public static object? Load(byte[] data)
    {
        var stack = new List<object?>();
        var memo = new Dictionary<long, object?>();
        var pos = 0;

        byte U8() => pos < data.Length ? data[pos++] : throw new InvalidDataException($"the pickle is truncated at byte {pos}");
        ReadOnlySpan<byte> Take(long n)
        {
            if (n < 0 || n > data.Length - pos) throw new InvalidDataException($"the pickle is truncated: {n} bytes wanted at byte {pos}, {data.Length - pos} left");
            var span = data.AsSpan(pos, (int)n);
            pos += (int)n;
            return span;
        }
        long I32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
        long U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
        long U64() => checked((long)BinaryPrimitives.ReadUInt64LittleEndian(Take(8)));
        string Line()
        {
            var end = Array.IndexOf(data, (byte)'\n', pos);
            if (end < 0) throw new InvalidDataException("the pickle is truncated in a text line");
            var text = Encoding.UTF8.GetString(data, pos, end - pos);
            pos = end + 1;
            return text;
        }
        object? Pop()
        {
            if (stack.Count == 0 || stack[^1] is Mark) throw new InvalidDataException("the pickle's stack underflows");
            var top = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            return top;
        }
        List<object?> PopToMark()
        {
            var mark = stack.FindLastIndex(o => o is Mark);
            if (mark < 0) throw new InvalidDataException("the pickle lacks a MARK");
            var items = stack.GetRange(mark + 1, stack.Count - mark - 1);
            stack.RemoveRange(mark, stack.Count - mark);
            return items;
        }
        object? Top() => stack.Count > 0 ? stack[^1] : throw new InvalidDataException("the pickle's stack underflows");
        object? Memo(long key) => memo.TryGetValue(key, out var value) ? value : throw new InvalidDataException($"the pickle refers to memo {key}, never stored");
        void SetItems(object? target, List<object?> items)
        {
            if (target is Dictionary<object, object?> dict)
                for (var i = 0; i + 1 < items.Count; i += 2) dict[Key(items[i])] = items[i + 1];
            else if (target is Inert inert)
                inert.State = items;
            else throw new InvalidDataException("the pickle sets items on something that is not a dict");
        }
        void Append(object? target, IEnumerable<object?> items)
        {
            if (target is List<object?> list) list.AddRange(items);
            else if (target is not Inert) throw new InvalidDataException("the pickle appends to something that is not a list");
        }

        while (true)
        {
            var op = U8();
            switch (op)
            {
                case 0x80: U8(); break; // PROTO
                case 0x95: Take(8); break; // FRAME
                case (byte)'.': return Pop(); // STOP
                case (byte)'(': stack.Add(Mark.Instance); break; // MARK
                case (byte)'0': Pop(); break; // POP
                case (byte)'1': PopToMark(); break; // POP_MARK
                case (byte)'2': stack.Add(Top()); break; // DUP
                case (byte)'}': stack.Add(new Dictionary<object, object?>()); break; // EMPTY_DICT
                case (byte)']': stack.Add(new List<object?>()); break; // EMPTY_LIST
                case (byte)')': stack.Add(Array.Empty<object?>()); break; // EMPTY_TUPLE
                case 0x8f: stack.Add(new List<object?>()); break; // EMPTY_SET
                case 0x90: Append(Top() ?? throw new InvalidDataException("ADDITEMS on None"), PopToMark()); break; // ADDITEMS
                case 0x91: stack.Add(PopToMark()); break; // FROZENSET
                case (byte)'N': stack.Add(null); break;
                case 0x88: stack.Add(true); break;
                case 0x89: stack.Add(false); break;
                case (byte)'K': stack.Add((long)U8()); break; // BININT1
                case (byte)'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break; // BININT2
                case (byte)'J': stack.Add(I32()); break; // BININT
                case (byte)'I': stack.Add(ParseInt(Line())); break; // INT
                case (byte)'L': stack.Add(ParseInt(Line().TrimEnd('L'))); break; // LONG
                case 0x8a: stack.Add(Integer(Take(U8()))); break; // LONG1
                case 0x8b: stack.Add(Integer(Take(I32()))); break; // LONG4
                case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break; // BINFLOAT
                case (byte)'F': stack.Add(double.Parse(Line(), System.Globalization.CultureInfo.InvariantCulture)); break; // FLOAT
                case (byte)'U': stack.Add(Take(U8()).ToArray()); break; // SHORT_BINSTRING
                case (byte)'T': stack.Add(Take(I32()).ToArray()); break; // BINSTRING
                case (byte)'C': stack.Add(Take(U8()).ToArray()); break; // SHORT_BINBYTES
                case (byte)'B': stack.Add(Take(U32()).ToArray()); break; // BINBYTES
                case 0x8e: stack.Add(Take(U64()).ToArray()); break; // BINBYTES8
                case 0x96: stack.Add(Take(U64()).ToArray()); break; // BYTEARRAY8
                case (byte)'X': stack.Add(Encoding.UTF8.GetString(Take(U32()))); break; // BINUNICODE
                case 0x8c: stack.Add(Encoding.UTF8.GetString(Take(U8()))); break; // SHORT_BINUNICODE
                case 0x8d: stack.Add(Encoding.UTF8.GetString(Take(U64()))); break; // BINUNICODE8
                case (byte)'V': stack.Add(Line()); break; // UNICODE (raw-unicode-escape, ASCII in practice)
                case (byte)'S': stack.Add(Encoding.UTF8.GetBytes(Line().Trim('\'', '"'))); break; // STRING
                case (byte)'q': memo[U8()] = Top(); break; // BINPUT
                case (byte)'r': memo[U32()] = Top(); break; // LONG_BINPUT
                case (byte)'p': memo[ParseInt(Line())] = Top(); break; // PUT
                case 0x94: memo[memo.Count] = Top(); break; // MEMOIZE
                case (byte)'h': stack.Add(Memo(U8())); break; // BINGET
                case (byte)'j': stack.Add(Memo(U32())); break; // LONG_BINGET
                case (byte)'g': stack.Add(Memo(ParseInt(Line()))); break; // GET
                case (byte)'t': stack.Add(PopToMark().ToArray()); break; // TUPLE
                case 0x85: stack.Add(new[] { Pop() }); break; // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); stack.Add(new[] { a, b }); break; } // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); stack.Add(new[] { a, b, c }); break; } // TUPLE3
                case (byte)'l': stack.Add(PopToMark()); break; // LIST
                case (byte)'a': { var item = Pop(); Append(Top(), [item]); break; } // APPEND
                case (byte)'e': { var items = PopToMark(); Append(Top(), items); break; } // APPENDS
                case (byte)'d': { var dict = new Dictionary<object, object?>(); SetItems(dict, PopToMark()); stack.Add(dict); break; } // DICT
                case (byte)'s': { var v = Pop(); var k = Pop(); SetItems(Top(), [k, v]); break; } // SETITEM
                case (byte)'u': { var items = PopToMark(); SetItems(Top(), items); break; } // SETITEMS
                case (byte)'c': { var module = Line(); stack.Add(new Global(module, Line())); break; } // GLOBAL
                case 0x93: { var name = Text(Pop()); stack.Add(new Global(Text(Pop()), name)); break; } // STACK_GLOBAL
                case (byte)'R': { var args = Pop(); stack.Add(Call(Pop(), args)); break; } // REDUCE
                case 0x81: { var args = Pop(); stack.Add(Call(Pop(), args)); break; } // NEWOBJ
                case 0x92: { var kwargs = Pop(); var args = Pop(); stack.Add(Call(Pop(), new[] { args, kwargs })); break; } // NEWOBJ_EX
                case (byte)'b': // BUILD: the state of an object; a dict's (OrderedDict's _metadata) is of no use here
                {
                    var state = Pop();
                    if (Top() is Inert inert) inert.State = state;
                    break;
                }
                case (byte)'Q': stack.Add(Persistent(Pop())); break; // BINPERSID
                case (byte)'P': throw new InvalidDataException("the pickle uses a text persistent id, which torch.save never writes");
                default:
                    throw new InvalidDataException($"the pickle uses opcode 0x{op:x2} (at byte {pos - 1}), which torch.save never writes");
            }
        }
    }

    private static object Key(object? key) => key switch
    {
        byte[] b => Encoding.UTF8.GetString(b),
        null => "None",
        _ => key,
    };

    private static string Text(object? value) => value switch
    {
        string s => s,
        byte[] b => Encoding.UTF8.GetString(b),
        _ => throw new InvalidDataException("the pickle names a global with something that is not a string"),
    };

    private static long Long(object? value, string what) => value switch
    {
        long l => l,
        BigInteger b when b >= long.MinValue && b <= long.MaxValue => (long)b,
        bool b => b ? 1 : 0,
        _ => throw new InvalidDataException($"{what} is not an integer"),
    };

    private static long[] Longs(object? value, string what) => value switch
    {
        object?[] tuple => tuple.Select(v => Long(v, what)).ToArray(),
        List<object?> list => list.Select(v => Long(v, what)).ToArray(),
        _ => throw new InvalidDataException($"{what} is not a tuple of integers"),
    };

    private static long ParseInt(string text) =>
        text switch { "00" => 0, "01" => 1, _ => long.Parse(text, System.Globalization.CultureInfo.InvariantCulture) };

    private static BigInteger Integer(ReadOnlySpan<byte> bytes) => new(bytes, isUnsigned: false, isBigEndian: false);

    // torch.save's persistent id of a storage: ('storage', torch.FloatStorage, key, location, elements).
    private static Storage Persistent(object? pid)
    {
        if (pid is not object?[] { Length: >= 5 } parts || Text(parts[0]) != "storage" || parts[1] is not Global type)
            throw new InvalidDataException("the pickle has a persistent id that is not a storage");
        if (type.Module != "torch" || !StorageTypes.TryGetValue(type.Name, out var dtype))
            throw new InvalidDataException($"a storage of type {type.Module}.{type.Name}, which this program does not read");
        var key = Text(parts[2]);
        if (key.Length is 0 or > 64 || key.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '_'))
            throw new InvalidDataException("a storage key that is not a plain name");
        var elements = Long(parts[4], "a storage's size");
        if (elements < 0) throw new InvalidDataException("a storage of negative size");
        return new Storage(dtype, key, elements);
    }

    private static object? Call(object? callable, object? args)
    {
        if (callable is not Global global) return new Inert("(result of a call)", args);
        var arguments = args as object?[] ?? (args as List<object?>)?.ToArray() ?? [];
        switch ($"{global.Module}.{global.Name}")
        {
            case "collections.OrderedDict":
            case "builtins.dict":
            case "__builtin__.dict":
                return new Dictionary<object, object?>();
            case "torch._utils._rebuild_tensor_v2":
            case "torch._utils._rebuild_tensor":
            {
                if (arguments.Length < 4 || arguments[0] is not Storage storage)
                    throw new InvalidDataException("a tensor without its storage, offset, shape and strides");
                return new TensorEntry("", storage.DType, Longs(arguments[2], "a tensor's shape"), Longs(arguments[3], "a tensor's strides"),
                    Long(arguments[1], "a tensor's offset"), storage.Key, storage.Elements);
            }
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                return arguments.Length > 0 ? arguments[0] : throw new InvalidDataException("a parameter without its tensor");
            default:
                return new Inert($"{global.Module}.{global.Name}", args);
        }
    }
}
