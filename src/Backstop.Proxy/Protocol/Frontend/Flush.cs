using System.Buffers;

namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>Flush (F), "Message Formats": asks the server to send what it has buffered without ending the batch. Byte1('H') and Int32(4), nothing else.</summary>
internal sealed record Flush : FrontendMessage
{
    public static Flush Instance { get; } = new();

    public static Flush Read(ReadOnlySequence<byte> payload)
    {
        new PayloadReader(payload, "Flush").ExpectEnd();
        return Instance;
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)FrontendMessageCode.Flush);
        writer.FinishMessage();
    }
}
