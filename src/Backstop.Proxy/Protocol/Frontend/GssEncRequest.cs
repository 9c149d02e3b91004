namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>GSSENCRequest (F), "Message Formats": asks for GSSAPI encryption, which Backstop declines.</summary>
internal sealed record GssEncRequest : StartupRequest
{
    /// <summary>Int32(80877104): "The GSSAPI Encryption request code ... 1234 in the most significant 16 bits, and 5680 in the least significant 16 bits."</summary>
    public const int Code = 80877104;

    public static GssEncRequest Instance { get; } = new();

    public override void WriteTo(ProtocolWriter writer)
    {
        // Int32(8): length of message contents in bytes, including self.
        writer.StartUntypedMessage();
        writer.WriteInt32(Code);
        writer.FinishMessage();
    }
}
