using System.Buffers;

namespace Backstop.Proxy.Protocol.Backend;

/// <summary>AuthenticationSASLFinal (B), "Message Formats": the SASL outcome (for SCRAM, server-final-message "v=...").</summary>
internal sealed record AuthenticationSaslFinal(byte[] Data) : BackendMessage
{
    public static AuthenticationSaslFinal Read(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "AuthenticationSASLFinal");
        reader.ReadInt32("authentication type");
        // Byte(n): SASL outcome "additional data", specific to the SASL mechanism being used; the rest of the message.
        return new AuthenticationSaslFinal(reader.ReadRest());
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)BackendMessageCode.Authentication);
        // Int32(12): specifies that SASL authentication has completed.
        writer.WriteInt32((int)AuthenticationRequest.SaslFinal);
        writer.WriteBytes(Data);
        writer.FinishMessage();
    }
}
