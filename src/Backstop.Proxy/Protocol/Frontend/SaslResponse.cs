using System.Buffers;

namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>SASLResponse (F), "Message Formats": a later message of the SASL exchange (for SCRAM, client-final-message).</summary>
internal sealed record SaslResponse(byte[] Data) : FrontendMessage
{
    public static SaslResponse Read(ReadOnlySequence<byte> payload)
    {
        // Byte(n): SASL mechanism specific message data; the rest of the message.
        var reader = new PayloadReader(payload, "SASLResponse");
        return new SaslResponse(reader.ReadRest());
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)FrontendMessageCode.PasswordMessage);
        writer.WriteBytes(Data);
        writer.FinishMessage();
    }
}
