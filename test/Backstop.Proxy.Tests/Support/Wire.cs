using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Backstop.Proxy.Protocol;

namespace Backstop.Proxy.Tests.Support;

/// <summary>Hand-made bytes for the tests: well-formed messages through the writer, malformed ones byte by byte.</summary>
internal static class Wire
{
    public static byte[] Of(FrontendMessage message)
    {
        var writer = new ProtocolWriter();
        message.WriteTo(writer);
        return writer.ToArray();
    }

    public static byte[] Of(BackendMessage message)
    {
        var writer = new ProtocolWriter();
        message.WriteTo(writer);
        return writer.ToArray();
    }

    public static byte[] Int32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    public static byte[] Int16(short value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteInt16BigEndian(bytes, value);
        return bytes;
    }

    public static byte[] CString(string value) => [.. Encoding.UTF8.GetBytes(value), 0];

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>A typed message whose length word is computed from the body.</summary>
    public static byte[] Message(char code, params byte[][] body)
    {
        var content = Concat(body);
        return Concat([(byte)code], Int32(content.Length + 4), content);
    }

    /// <summary>A startup packet whose length word is computed from the body.</summary>
    public static byte[] Startup(params byte[][] body)
    {
        var content = Concat(body);
        return Concat(Int32(content.Length + 4), content);
    }

    /// <summary>The bytes as a sequence of several segments, so that readers are exercised across segment boundaries.</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] bytes, int segmentLength)
    {
        if (bytes.Length == 0 || segmentLength >= bytes.Length)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        Segment? first = null;
        Segment? last = null;
        for (var offset = 0; offset < bytes.Length; offset += segmentLength)
        {
            var chunk = bytes.AsMemory(offset, Math.Min(segmentLength, bytes.Length - offset));
            last = last is null ? first = new Segment(chunk, 0) : last.Append(chunk);
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
