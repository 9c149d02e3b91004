using System.Buffers;
using System.Text;

namespace Backstop.Proxy.Protocol;

/// <summary>
/// Reads the fields of one message body whose extent the framing already checked. Every field is checked against the
/// bytes left before it is read, and every count against the smallest size its items can have before an array is
/// made, so a message that lies about its contents is a <see cref="ProtocolViolationException"/>, never a large
/// allocation or an out-of-range read.
/// </summary>
internal ref struct PayloadReader
{
    private SequenceReader<byte> _reader;
    private readonly string _message;

    public PayloadReader(ReadOnlySequence<byte> payload, string message)
    {
        _reader = new SequenceReader<byte>(payload);
        _message = message;
    }

    public readonly long Remaining => _reader.Remaining;

    public byte ReadByte(string field)
    {
        if (!_reader.TryRead(out var value))
        {
            throw Truncated(field);
        }

        return value;
    }

    public short ReadInt16(string field) =>
        _reader.TryReadBigEndian(out short value) ? value : throw Truncated(field);

    public int ReadInt32(string field) =>
        _reader.TryReadBigEndian(out int value) ? value : throw Truncated(field);

    /// <summary>A String field ("Message Data Types"): bytes up to a NUL that must lie inside this message.</summary>
    public string ReadCString(string field)
    {
        if (!_reader.TryReadTo(out ReadOnlySequence<byte> text, 0, advancePastDelimiter: true))
        {
            throw new ProtocolViolationException($"invalid {_message} message: the {field} string is not terminated by a NUL byte within the message");
        }

        // Decoded leniently: text that is not UTF-8 is a matter of client_encoding, not of framing.
        return Encoding.UTF8.GetString(text);
    }

    /// <summary>Byte(n) with n declared by the peer: refused before allocating when fewer than n bytes are left.</summary>
    public byte[] ReadBytes(int count, string field)
    {
        if (count < 0 || count > _reader.Remaining)
        {
            throw new ProtocolViolationException($"invalid {_message} message: the {field} declares {count} bytes but {_reader.Remaining} are left in the message");
        }

        var bytes = _reader.UnreadSequence.Slice(0, count).ToArray();
        _reader.Advance(count);
        return bytes;
    }

    /// <summary>Everything left: the Byte(n) that runs to the end of a message (CopyData, SASLResponse).</summary>
    public byte[] ReadRest()
    {
        var bytes = _reader.UnreadSequence.ToArray();
        _reader.AdvanceToEnd();
        return bytes;
    }

    /// <summary>
    /// An Int16 count of items that each take at least <paramref name="minimumItemBytes"/> bytes: checked against the
    /// bytes left so that an array of that many items is never made for a message too short to hold them.
    /// </summary>
    public int ReadCount(string field, int minimumItemBytes)
    {
        var count = ReadInt16(field);
        return CheckCount(count, field, minimumItemBytes);
    }

    /// <summary>An Int32 count, for the few messages that use one (NegotiateProtocolVersion).</summary>
    public int ReadInt32Count(string field, int minimumItemBytes) => CheckCount(ReadInt32(field), field, minimumItemBytes);

    /// <summary>PostgreSQL's pq_getmsgend: a message with bytes after its last field is malformed.</summary>
    public readonly void ExpectEnd()
    {
        if (_reader.Remaining != 0)
        {
            throw new ProtocolViolationException($"invalid {_message} message: {_reader.Remaining} unexpected bytes after its last field");
        }
    }

    private readonly int CheckCount(int count, string field, int minimumItemBytes)
    {
        if (count < 0)
        {
            throw new ProtocolViolationException($"invalid {_message} message: the {field} is negative ({count})");
        }

        if ((long)count * minimumItemBytes > _reader.Remaining)
        {
            throw new ProtocolViolationException($"invalid {_message} message: the {field} is {count} but only {_reader.Remaining} bytes are left");
        }

        return count;
    }

    private readonly ProtocolViolationException Truncated(string field) =>
        new($"invalid {_message} message: it ends before its {field}");
}
