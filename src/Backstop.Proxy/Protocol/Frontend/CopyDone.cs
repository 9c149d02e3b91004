using System.Buffers;

namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>CopyDone (F), "Message Formats": the end of the client's COPY FROM STDIN data. Byte1('c') and Int32(4), nothing else.</summary>
internal sealed record CopyDone : FrontendMessage
{
    public static CopyDone Instance { get; } = new();

    public static CopyDone Read(ReadOnlySequence<byte> payload)
    {
        new PayloadReader(payload, "CopyDone").ExpectEnd();
        return Instance;
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)FrontendMessageCode.CopyDone);
        writer.FinishMessage();
    }
}
