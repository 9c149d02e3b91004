using System.Buffers;

namespace Backstop.Proxy.Protocol.Backend;

/// <summary>AuthenticationSASLContinue (B), "Message Formats": a SASL challenge (for SCRAM, server-first-message).</summary>
internal sealed record AuthenticationSaslContinue(byte[] Data) : BackendMessage
{
    public static AuthenticationSaslContinue Read(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "AuthenticationSASLContinue");
        reader.ReadInt32("authentication type");
        // Byte(n): SASL data, specific to the SASL mechanism being used; the rest of the message.
        return new AuthenticationSaslContinue(reader.ReadRest());
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)BackendMessageCode.Authentication);
        // Int32(11): specifies that this message contains a SASL challenge.
        writer.WriteInt32((int)AuthenticationRequest.SaslContinue);
        writer.WriteBytes(Data);
        writer.FinishMessage();
    }
}
