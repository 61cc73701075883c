using System.Buffers.Binary;
using System.Text;

namespace ProCo.Training.Datasets;

/// <summary>
/// A minimal, safe unpickler for the CIFAR "python version" files: dicts, lists, tuples, strings,
/// bytes, integers, floats and NumPy arrays (numpy.core.multiarray._reconstruct + BUILD). Any other
/// global is refused, so a pickle can never run code here.
/// </summary>
public static class Pickle
{
    /// <summary>A NumPy ndarray as read from a pickle.</summary>
    public sealed record NdArray(int[] Shape, string DType, byte[] Data);

    private sealed record Global(string Module, string Name);

    private sealed class Mark
    {
        public static readonly Mark Instance = new();
    }

    private sealed class Reconstructed
    {
        public NdArray? Array { get; set; }
    }

    /// <summary>Reads the single object a pickle file holds.</summary>
    public static object? Load(string path)
    {
        var bytes = DataFiles.ReadAll(path);
        try
        {
            return Load(bytes);
        }
        catch (Exception e) when (e is InvalidDataException or IndexOutOfRangeException or ArgumentOutOfRangeException or InvalidCastException)
        {
            throw new InvalidDataException($"{path}: not a readable CIFAR pickle ({e.Message}).", e);
        }
    }

    /// <summary>Reads the single object a pickle holds.</summary>
    public static object? Load(byte[] data)
    {
        var stack = new List<object?>();
        var memo = new Dictionary<long, object?>();
        var pos = 0;

        byte U8() => pos < data.Length ? data[pos++] : throw new InvalidDataException($"truncated at byte {pos}");
        ReadOnlySpan<byte> Take(long n)
        {
            if (n < 0 || pos + n > data.Length) throw new InvalidDataException($"truncated: {n} bytes wanted at byte {pos}, {data.Length - pos} left");
            var span = data.AsSpan(pos, (int)n);
            pos += (int)n;
            return span;
        }
        int I32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
        string Line()
        {
            var end = Array.IndexOf(data, (byte)'\n', pos);
            if (end < 0) throw new InvalidDataException("truncated line");
            var text = Encoding.ASCII.GetString(data, pos, end - pos);
            pos = end + 1;
            return text;
        }
        object? Pop()
        {
            if (stack.Count == 0) throw new InvalidDataException("stack underflow");
            var top = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            return top;
        }
        List<object?> PopToMark()
        {
            var mark = stack.FindLastIndex(o => ReferenceEquals(o, Mark.Instance));
            if (mark < 0) throw new InvalidDataException("MARK missing");
            var items = stack.GetRange(mark + 1, stack.Count - mark - 1);
            stack.RemoveRange(mark, stack.Count - mark);
            return items;
        }
        object? Top() => stack.Count > 0 ? stack[^1] : throw new InvalidDataException("stack underflow");

        while (true)
        {
            var op = (char)U8();
            switch (op)
            {
                case '\x80': U8(); break; // PROTO n
                case '\x95': Take(8); break; // FRAME
                case '.': return Pop(); // STOP
                case '(': stack.Add(Mark.Instance); break;
                case '}': stack.Add(new Dictionary<object, object?>()); break;
                case ']': stack.Add(new List<object?>()); break;
                case ')': stack.Add(Array.Empty<object?>()); break;
                case 'N': stack.Add(null); break;
                case '\x88': stack.Add(true); break;
                case '\x89': stack.Add(false); break;
                case 'K': stack.Add((long)U8()); break; // BININT1
                case 'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break; // BININT2
                case 'J': stack.Add((long)I32()); break; // BININT
                case 'I': stack.Add(ParseInt(Line())); break; // INT (protocol 0)
                case 'L': stack.Add(ParseInt(Line().TrimEnd('L'))); break; // LONG (protocol 0)
                case '\x8a': // LONG1
                {
                    var n = U8();
                    stack.Add(LittleEndianSigned(Take(n)));
                    break;
                }
                case 'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break; // BINFLOAT
                case 'U': stack.Add(Take(U8()).ToArray()); break; // SHORT_BINSTRING (py2 str = bytes)
                case 'T': stack.Add(Take(I32()).ToArray()); break; // BINSTRING
                case 'C': stack.Add(Take(U8()).ToArray()); break; // SHORT_BINBYTES
                case 'B': stack.Add(Take(I32()).ToArray()); break; // BINBYTES
                case '\x8e': stack.Add(Take(checked((long)BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))).ToArray()); break; // BINBYTES8
                case 'X': stack.Add(Encoding.UTF8.GetString(Take(I32()))); break; // BINUNICODE
                case '\x8c': stack.Add(Encoding.UTF8.GetString(Take(U8()))); break; // SHORT_BINUNICODE
                case 'q': memo[U8()] = Top(); break; // BINPUT
                case 'r': memo[I32()] = Top(); break; // LONG_BINPUT
                case 'p': memo[ParseInt(Line())] = Top(); break; // PUT
                case '\x94': memo[memo.Count] = Top(); break; // MEMOIZE
                case 'h': stack.Add(memo[U8()]); break; // BINGET
                case 'j': stack.Add(memo[I32()]); break; // LONG_BINGET
                case 'g': stack.Add(memo[ParseInt(Line())]); break; // GET
                case 't': stack.Add(PopToMark().ToArray()); break; // TUPLE
                case '\x85': stack.Add(new[] { Pop() }); break; // TUPLE1
                case '\x86': { var b = Pop(); var a = Pop(); stack.Add(new[] { a, b }); break; } // TUPLE2
                case '\x87': { var c = Pop(); var b = Pop(); var a = Pop(); stack.Add(new[] { a, b, c }); break; } // TUPLE3
                case 'l': stack.Add(PopToMark()); break; // LIST
                case 'a': { var item = Pop(); ((List<object?>)Top()!).Add(item); break; } // APPEND
                case 'e': { var items = PopToMark(); ((List<object?>)Top()!).AddRange(items); break; } // APPENDS
                case 'd': stack.Add(ToDict(PopToMark())); break; // DICT
                case 's': { var v = Pop(); var k = Pop(); ((Dictionary<object, object?>)Top()!)[Key(k)] = v; break; } // SETITEM
                case 'u': // SETITEMS
                {
                    var items = PopToMark();
                    var dict = (Dictionary<object, object?>)Top()!;
                    for (var i = 0; i + 1 < items.Count; i += 2) dict[Key(items[i])] = items[i + 1];
                    break;
                }
                case 'c': stack.Add(CheckGlobal(Line(), Line())); break; // GLOBAL
                case '\x93': { var name = (string)Pop()!; var module = (string)Pop()!; stack.Add(CheckGlobal(module, name)); break; } // STACK_GLOBAL
                case 'R': // REDUCE
                {
                    var args = (object?[])Pop()!;
                    var callable = (Global)Pop()!;
                    stack.Add(Reduce(callable, args));
                    break;
                }
                case 'b': // BUILD
                {
                    var state = Pop();
                    if (Top() is Reconstructed target) target.Array = BuildArray(state);
                    break;
                }
                default:
                    throw new InvalidDataException($"unsupported pickle opcode 0x{(byte)op:x2} at byte {pos - 1}");
            }
            if (stack.Count > 0 && stack[^1] is Reconstructed { Array: { } ready })
            {
                // Replace a finished ndarray placeholder by the array itself (memo entries keep working
                // because CIFAR never refers back to an array).
                stack[^1] = ready;
            }
        }
    }

    private static object Key(object? key) => key switch
    {
        byte[] b => Encoding.UTF8.GetString(b),
        null => throw new InvalidDataException("None as a dict key"),
        _ => key,
    };

    private static Dictionary<object, object?> ToDict(List<object?> items)
    {
        var dict = new Dictionary<object, object?>();
        for (var i = 0; i + 1 < items.Count; i += 2) dict[Key(items[i])] = items[i + 1];
        return dict;
    }

    private static long ParseInt(string text) =>
        text switch { "00" => 0, "01" => 1, _ => long.Parse(text, System.Globalization.CultureInfo.InvariantCulture) };

    private static long LittleEndianSigned(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) return 0;
        if (bytes.Length > 8) throw new InvalidDataException("integer too large");
        long value = 0;
        for (var i = bytes.Length - 1; i >= 0; i--) value = (value << 8) | bytes[i];
        var shift = 64 - 8 * bytes.Length;
        return shift == 0 ? value : (value << shift) >> shift;
    }

    private static readonly HashSet<string> AllowedGlobals =
    [
        "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct", "numpy.dtype", "numpy.ndarray",
        // Python 3 writes bytes at protocol 2 as _codecs.encode(text, "latin1").
        "_codecs.encode",
    ];

    private static Global CheckGlobal(string module, string name)
    {
        if (!AllowedGlobals.Contains($"{module}.{name}"))
            throw new InvalidDataException($"refusing pickle global {module}.{name}");
        return new Global(module, name);
    }

    private static object Reduce(Global callable, object?[] args) => callable.Name switch
    {
        "_reconstruct" => new Reconstructed(),
        // numpy.dtype("u1", False, True) and friends: keep the type code.
        "dtype" => new DType(Text(args[0])),
        "encode" => Encoding.Latin1.GetBytes(Text(args[0])),
        _ => throw new InvalidDataException($"cannot call {callable.Module}.{callable.Name}"),
    };

    private sealed record DType(string Code);

    private static string Text(object? value) => value switch
    {
        string s => s,
        byte[] b => Encoding.ASCII.GetString(b),
        _ => throw new InvalidDataException("expected a string"),
    };

    // ndarray.__setstate__: (version, shape, dtype, is_fortran, raw data)
    private static NdArray BuildArray(object? state)
    {
        var items = (object?[])state!;
        var offset = items.Length == 5 ? 1 : 0;
        var shape = ((object?[])items[offset]!).Select(o => checked((int)(long)o!)).ToArray();
        var dtype = items[offset + 1] as DType ?? throw new InvalidDataException("ndarray without dtype");
        if ((bool)items[offset + 2]!) throw new InvalidDataException("Fortran-ordered arrays are not supported");
        var raw = items[offset + 3] switch
        {
            byte[] b => b,
            string s => Encoding.Latin1.GetBytes(s), // Python 3 re-pickles of Python 2 str data
            _ => throw new InvalidDataException("ndarray data is not bytes"),
        };
        return new NdArray(shape, dtype.Code, raw);
    }
}
