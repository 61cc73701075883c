using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace ProCo.Data.TensorBoard;

/// <summary>Protocol-buffer wire format: just what TensorBoard's Event messages need.</summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public bool More => _position < _data.Length;

    /// <summary>Reads a field key: (field number, wire type).</summary>
    public (int Field, int WireType) Key()
    {
        var key = Varint();
        return ((int)(key >> 3), (int)(key & 7));
    }

    public ulong Varint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length) throw new InvalidDataException("truncated varint");
            var b = _data[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return result;
        }
        throw new InvalidDataException("varint too long");
    }

    public double Double() => BitConverter.Int64BitsToDouble((long)Fixed64());
    public float Float() => BitConverter.Int32BitsToSingle((int)Fixed32());

    public ulong Fixed64()
    {
        if (_position + 8 > _data.Length) throw new InvalidDataException("truncated fixed64");
        var value = BinaryPrimitives.ReadUInt64LittleEndian(_data[_position..]);
        _position += 8;
        return value;
    }

    public uint Fixed32()
    {
        if (_position + 4 > _data.Length) throw new InvalidDataException("truncated fixed32");
        var value = BinaryPrimitives.ReadUInt32LittleEndian(_data[_position..]);
        _position += 4;
        return value;
    }

    public ReadOnlySpan<byte> Bytes()
    {
        // Checked against what remains before any arithmetic: a length near 2^31 or 2^64 must not wrap.
        var length = Varint();
        if (length > (ulong)(_data.Length - _position)) throw new InvalidDataException($"length-delimited field of {length} bytes with {_data.Length - _position} left");
        var span = _data.Slice(_position, (int)length);
        _position += (int)length;
        return span;
    }

    public string String() => Encoding.UTF8.GetString(Bytes());

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case 0: Varint(); break;
            case 1: Fixed64(); break;
            case 2: Bytes(); break;
            case 5: Fixed32(); break;
            default: throw new InvalidDataException($"unsupported wire type {wireType}");
        }
    }
}

/// <summary>Writes protocol-buffer fields.</summary>
internal sealed class ProtoWriter
{
    // A growing array, nothing to dispose.
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    private void WriteByte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    private void Key(int field, int wireType) => Varint(((ulong)field << 3) | (uint)wireType);

    private void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        WriteByte((byte)value);
    }

    public void Double(int field, double value)
    {
        Key(field, 1);
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, BitConverter.DoubleToInt64Bits(value));
        _buffer.Write(bytes);
    }

    public void Float(int field, float value)
    {
        Key(field, 5);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, BitConverter.SingleToInt32Bits(value));
        _buffer.Write(bytes);
    }

    public void Int64(int field, long value)
    {
        Key(field, 0);
        Varint((ulong)value);
    }

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Key(field, 2);
        Varint((ulong)value.Length);
        _buffer.Write(value);
    }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));
}
