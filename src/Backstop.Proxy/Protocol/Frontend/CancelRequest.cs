namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>
/// CancelRequest (F), "Message Formats": sent on a new connection to cancel the query running on another one, which the
/// process id and secret key (from that connection's BackendKeyData) identify. The server answers nothing and closes.
/// </summary>
internal sealed record CancelRequest(int ProcessId, byte[] SecretKey) : StartupRequest
{
    /// <summary>Int32(80877102): "The cancel request code ... 1234 in the most significant 16 bits, and 5678 in the least significant 16 bits."</summary>
    public const int Code = 80877102;

    /// <summary>
    /// Byte(n) secret key: 4 bytes in protocol 3.0; from protocol 3.2 (PostgreSQL 18) variable, "The minimum and maximum
    /// key length are 4 and 256 bytes, respectively."
    /// </summary>
    public const int MinimumKeyLength = 4;

    public const int MaximumKeyLength = 256;

    public override void WriteTo(ProtocolWriter writer)
    {
        // Int32: length of message contents in bytes, including self (16 with a 4-byte key).
        writer.StartUntypedMessage();
        writer.WriteInt32(Code);
        // Int32: the process ID of the target backend.
        writer.WriteInt32(ProcessId);
        // Byte(n): the secret key for the target backend.
        writer.WriteBytes(SecretKey);
        writer.FinishMessage();
    }
}
