using System.Buffers;

namespace Backstop.Proxy.Protocol.Backend;

/// <summary>AuthenticationSASL (B), "Message Formats": SASL authentication is required, with one of these mechanisms.</summary>
internal sealed record AuthenticationSasl(IReadOnlyList<string> Mechanisms) : BackendMessage
{
    public static AuthenticationSasl Read(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "AuthenticationSASL");
        reader.ReadInt32("authentication type");
        var mechanisms = new List<string>();
        // String: name of a SASL authentication mechanism, repeated; the list ends with an empty String.
        for (var name = reader.ReadCString("mechanism name"); name.Length > 0; name = reader.ReadCString("mechanism name"))
        {
            mechanisms.Add(name);
        }

        reader.ExpectEnd();
        return new AuthenticationSasl(mechanisms);
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)BackendMessageCode.Authentication);
        // Int32(10): specifies that SASL authentication is required.
        writer.WriteInt32((int)AuthenticationRequest.Sasl);
        foreach (var mechanism in Mechanisms)
        {
            writer.WriteCString(mechanism);
        }

        // "The message body is a list of SASL authentication mechanisms, in the server's order of preference. A zero
        // byte is required as terminator after the last authentication mechanism name."
        writer.WriteByte(0);
        writer.FinishMessage();
    }
}
