using System.Buffers;

namespace Backstop.Proxy.Protocol.Backend;

/// <summary>ErrorResponse (B), "Message Formats": an error; a FATAL one is followed by the server closing the connection.</summary>
internal sealed record ErrorResponse(ErrorFields Fields) : BackendMessage
{
    public static ErrorResponse Error(string sqlState, string message, string? detail = null, string? hint = null) =>
        new(ErrorFields.Create("ERROR", sqlState, message, detail, hint));

    public static ErrorResponse Fatal(string sqlState, string message, string? detail = null, string? hint = null) =>
        new(ErrorFields.Create("FATAL", sqlState, message, detail, hint));

    public static ErrorResponse Read(ReadOnlySequence<byte> payload) => new(ErrorFields.Read(payload, "ErrorResponse"));

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)BackendMessageCode.ErrorResponse);
        Fields.Write(writer);
        writer.FinishMessage();
    }
}
