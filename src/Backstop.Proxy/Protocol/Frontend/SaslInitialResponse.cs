using System.Buffers;

namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>SASLInitialResponse (F), "Message Formats": the mechanism the client chose and its first message.</summary>
internal sealed record SaslInitialResponse(string Mechanism, byte[]? InitialResponse) : FrontendMessage
{
    public static SaslInitialResponse Read(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "SASLInitialResponse");
        // String: name of the SASL authentication mechanism that the client selected.
        var mechanism = reader.ReadCString("mechanism name");
        // Int32: length of SASL mechanism specific "Initial Client Response" that follows, or -1 if there is none.
        var length = reader.ReadInt32("initial response length");
        // Byte(n): SASL mechanism specific "Initial Response".
        var response = length == -1 ? null : reader.ReadBytes(length, "initial response");
        reader.ExpectEnd();
        return new SaslInitialResponse(mechanism, response);
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)FrontendMessageCode.PasswordMessage);
        writer.WriteCString(Mechanism);
        writer.WriteInt32(InitialResponse?.Length ?? -1);
        writer.WriteBytes(InitialResponse ?? []);
        writer.FinishMessage();
    }
}
