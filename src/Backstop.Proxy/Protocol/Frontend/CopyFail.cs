using System.Buffers;

namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>CopyFail (F), "Message Formats": the client aborts a COPY FROM STDIN with a reason.</summary>
internal sealed record CopyFail(string Reason) : FrontendMessage
{
    public static CopyFail Read(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "CopyFail");
        // String: an error message to report as the cause of failure.
        var reason = reader.ReadCString("error message");
        reader.ExpectEnd();
        return new CopyFail(reason);
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)FrontendMessageCode.CopyFail);
        writer.WriteCString(Reason);
        writer.FinishMessage();
    }
}
