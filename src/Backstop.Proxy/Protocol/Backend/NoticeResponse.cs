using System.Buffers;

namespace Backstop.Proxy.Protocol.Backend;

/// <summary>NoticeResponse (B), "Message Formats": a warning or notice; same fields as ErrorResponse, never ends anything.</summary>
internal sealed record NoticeResponse(ErrorFields Fields) : BackendMessage
{
    public static NoticeResponse Read(ReadOnlySequence<byte> payload) => new(ErrorFields.Read(payload, "NoticeResponse"));

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)BackendMessageCode.NoticeResponse);
        Fields.Write(writer);
        writer.FinishMessage();
    }
}
