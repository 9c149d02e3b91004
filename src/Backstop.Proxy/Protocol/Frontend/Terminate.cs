using System.Buffers;

namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>Terminate (F), "Message Formats": the client is closing the connection. Byte1('X') and Int32(4), nothing else.</summary>
internal sealed record Terminate : FrontendMessage
{
    public static Terminate Instance { get; } = new();

    public static Terminate Read(ReadOnlySequence<byte> payload)
    {
        new PayloadReader(payload, "Terminate").ExpectEnd();
        return Instance;
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)FrontendMessageCode.Terminate);
        writer.FinishMessage();
    }
}
