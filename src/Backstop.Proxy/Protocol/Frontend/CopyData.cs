using System.Buffers;

namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>CopyData (F &amp; B), "Message Formats": a chunk of a COPY data stream, with no meaning of its own.</summary>
internal sealed record CopyData(byte[] Data) : FrontendMessage
{
    public static CopyData Read(ReadOnlySequence<byte> payload)
    {
        // Byte(n): data that forms part of a COPY data stream; the rest of the message.
        var reader = new PayloadReader(payload, "CopyData");
        return new CopyData(reader.ReadRest());
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)FrontendMessageCode.CopyData);
        writer.WriteBytes(Data);
        writer.FinishMessage();
    }
}
