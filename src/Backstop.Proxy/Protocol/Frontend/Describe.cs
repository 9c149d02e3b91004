using System.Buffers;

namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>Describe (F), "Message Formats": asks for the parameters and result columns of a statement or portal.</summary>
internal sealed record Describe(PortalOrStatement Target, string Name) : FrontendMessage
{
    public static Describe Read(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "Describe");
        // Byte1: 'S' to describe a prepared statement; or 'P' to describe a portal.
        var target = ReadTarget(ref reader, "Describe");
        // String: the name of the prepared statement or portal (an empty string selects the unnamed one).
        var name = reader.ReadCString("name");
        reader.ExpectEnd();
        return new Describe(target, name);
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)FrontendMessageCode.Describe);
        writer.WriteByte((byte)Target);
        writer.WriteCString(Name);
        writer.FinishMessage();
    }

    internal static PortalOrStatement ReadTarget(ref PayloadReader reader, string message)
    {
        var target = reader.ReadByte("target");
        return target is (byte)PortalOrStatement.Statement or (byte)PortalOrStatement.Portal
            ? (PortalOrStatement)target
            : throw new ProtocolViolationException($"invalid {message} message subtype {MessageReader.Describe(target)}: expected 'S' or 'P'");
    }
}
