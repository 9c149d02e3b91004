using System.Buffers;

namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>Execute (F), "Message Formats": runs a portal, returning at most <see cref="MaxRows"/> rows (0: no limit).</summary>
internal sealed record Execute(string PortalName, int MaxRows) : FrontendMessage
{
    public static Execute Read(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "Execute");
        // String: the name of the portal to execute (an empty string selects the unnamed portal).
        var portal = reader.ReadCString("portal name");
        // Int32: maximum number of rows to return, if portal contains a query that returns rows; zero denotes "no limit".
        var maxRows = reader.ReadInt32("maximum row count");
        reader.ExpectEnd();
        return new Execute(portal, maxRows);
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)FrontendMessageCode.Execute);
        writer.WriteCString(PortalName);
        writer.WriteInt32(MaxRows);
        writer.FinishMessage();
    }
}
