using System.Buffers;

namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>Sync (F), "Message Formats": ends an extended-query batch; the server answers ReadyForQuery, and after an error discards messages up to it. Byte1('S') and Int32(4), nothing else.</summary>
internal sealed record Sync : FrontendMessage
{
    public static Sync Instance { get; } = new();

    public static Sync Read(ReadOnlySequence<byte> payload)
    {
        new PayloadReader(payload, "Sync").ExpectEnd();
        return Instance;
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)FrontendMessageCode.Sync);
        writer.FinishMessage();
    }
}
