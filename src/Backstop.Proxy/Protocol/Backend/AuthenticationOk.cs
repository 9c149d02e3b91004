using System.Buffers;

namespace Backstop.Proxy.Protocol.Backend;

/// <summary>AuthenticationOk (B), "Message Formats": authentication succeeded.</summary>
internal sealed record AuthenticationOk : BackendMessage
{
    public static AuthenticationOk Instance { get; } = new();

    public static AuthenticationOk Read(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "AuthenticationOk");
        reader.ReadInt32("authentication type");
        reader.ExpectEnd();
        return Instance;
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        // Byte1('R'), Int32(8): length including self.
        writer.StartMessage((byte)BackendMessageCode.Authentication);
        // Int32(0): specifies that the authentication was successful.
        writer.WriteInt32((int)AuthenticationRequest.Ok);
        writer.FinishMessage();
    }
}
