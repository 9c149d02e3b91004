using System.Buffers.Binary;
using System.Text;

namespace Backstop.Proxy.Protocol;

/// <summary>
/// Builds messages into one growable buffer: a message is started, its fields written, and its Int32 length patched in
/// when it is finished ("Message Formats": the length counts itself and the contents, never the type byte). Integers are
/// in network byte order ("Message Data Types").
/// </summary>
internal sealed class ProtocolWriter
{
    private byte[] _buffer;
    private int _length;
    private int _lengthAt = -1;

    public ProtocolWriter(int initialCapacity = 256) => _buffer = new byte[initialCapacity];

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public void Clear()
    {
        _length = 0;
        _lengthAt = -1;
    }

    public byte[] ToArray() => WrittenSpan.ToArray();

    /// <summary>Starts a message with a type byte and a length to be filled in by <see cref="FinishMessage"/>.</summary>
    public void StartMessage(byte code)
    {
        WriteByte(code);
        StartUntypedMessage();
    }

    /// <summary>Starts a packet that has a length but no type byte: the startup packet and its relatives.</summary>
    public void StartUntypedMessage()
    {
        if (_lengthAt >= 0)
        {
            throw new InvalidOperationException("a message is already being written; finish it first");
        }

        _lengthAt = _length;
        WriteInt32(0);
    }

    public void FinishMessage()
    {
        if (_lengthAt < 0)
        {
            throw new InvalidOperationException("no message is being written");
        }

        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_lengthAt), _length - _lengthAt);
        _lengthAt = -1;
    }

    public void WriteByte(byte value) => Reserve(1)[0] = value;

    public void WriteInt16(short value) => BinaryPrimitives.WriteInt16BigEndian(Reserve(2), value);

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32BigEndian(Reserve(4), value);

    public void WriteBytes(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Reserve(bytes.Length));

    /// <summary>A String field ("Message Data Types"): UTF-8 followed by a NUL, so the text itself may hold no NUL.</summary>
    public void WriteCString(string value)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("a protocol String field cannot contain a NUL character", nameof(value));
        }

        WriteText(value);
        WriteByte(0);
    }

    /// <summary>UTF-8 text without a terminator (SASL payloads are Byte(n), not String).</summary>
    public void WriteText(string value)
    {
        var span = Reserve(Encoding.UTF8.GetByteCount(value));
        Encoding.UTF8.GetBytes(value, span);
    }

    private Span<byte> Reserve(int count)
    {
        if (_buffer.Length - _length < count)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        }

        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }
}
