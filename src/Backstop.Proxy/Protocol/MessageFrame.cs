using System.Buffers;

namespace Backstop.Proxy.Protocol;

/// <summary>
/// One framed message: its type byte and its contents after the length word. <see cref="Payload"/> is a slice of the
/// reader's buffer, valid until the caller advances its PipeReader past it; decode or copy it before that.
/// </summary>
internal readonly record struct MessageFrame(byte Code, ReadOnlySequence<byte> Payload)
{
    /// <summary>The length word as it was on the wire: contents plus the four bytes of the length itself.</summary>
    public long DeclaredLength => Payload.Length + 4;
}
