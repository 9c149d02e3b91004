namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>SSLRequest (F), "Message Formats": asks the server to switch to TLS before the startup message.</summary>
internal sealed record SslRequest : StartupRequest
{
    /// <summary>Int32(80877103): "The SSL request code. The value is chosen to contain 1234 in the most significant 16 bits, and 5679 in the least significant 16 bits."</summary>
    public const int Code = 80877103;

    public static SslRequest Instance { get; } = new();

    public override void WriteTo(ProtocolWriter writer)
    {
        // Int32(8): length of message contents in bytes, including self.
        writer.StartUntypedMessage();
        writer.WriteInt32(Code);
        writer.FinishMessage();
    }
}
