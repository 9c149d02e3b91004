using System.Buffers;
using Backstop.Proxy.Protocol.Frontend;

namespace Backstop.Proxy.Protocol.Backend;

/// <summary>
/// BackendKeyData (B), "Message Formats": the process id and secret key a client must send in a CancelRequest to cancel
/// this session's query. The proxy hands out its own pair and maps it to the upstream backend's.
/// </summary>
internal sealed record BackendKeyData(int ProcessId, byte[] SecretKey) : BackendMessage
{
    public static BackendKeyData Read(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "BackendKeyData");
        // Int32: the process ID of this backend.
        var processId = reader.ReadInt32("process ID");
        // Byte(n): the secret key of this backend; 4 bytes in protocol 3.0, 4 to 256 from 3.2, to the end of the message.
        if (reader.Remaining is < CancelRequest.MinimumKeyLength or > CancelRequest.MaximumKeyLength)
        {
            throw new ProtocolViolationException($"invalid BackendKeyData message: a secret key of {reader.Remaining} bytes");
        }

        return new BackendKeyData(processId, reader.ReadRest());
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)BackendMessageCode.BackendKeyData);
        writer.WriteInt32(ProcessId);
        writer.WriteBytes(SecretKey);
        writer.FinishMessage();
    }
}
