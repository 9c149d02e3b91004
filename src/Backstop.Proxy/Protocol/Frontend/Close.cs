using System.Buffers;

namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>Close (F), "Message Formats": closes a prepared statement or portal.</summary>
internal sealed record Close(PortalOrStatement Target, string Name) : FrontendMessage
{
    public static Close Read(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "Close");
        // Byte1: 'S' to close a prepared statement; or 'P' to close a portal.
        var target = Describe.ReadTarget(ref reader, "Close");
        // String: the name of the prepared statement or portal to close (an empty string selects the unnamed one).
        var name = reader.ReadCString("name");
        reader.ExpectEnd();
        return new Close(target, name);
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)FrontendMessageCode.Close);
        writer.WriteByte((byte)Target);
        writer.WriteCString(Name);
        writer.FinishMessage();
    }
}
