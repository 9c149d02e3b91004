using System.Buffers;

namespace Backstop.Proxy.Protocol.Backend;

/// <summary>ReadyForQuery (B), "Message Formats": the backend is ready for a new query cycle.</summary>
internal sealed record ReadyForQuery(TransactionStatus Status) : BackendMessage
{
    public static ReadyForQuery Read(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "ReadyForQuery");
        // Byte1: current backend transaction status indicator: 'I', 'T' or 'E'.
        var status = reader.ReadByte("transaction status");
        reader.ExpectEnd();
        return status is (byte)TransactionStatus.Idle or (byte)TransactionStatus.InTransaction or (byte)TransactionStatus.Failed
            ? new ReadyForQuery((TransactionStatus)status)
            : throw new ProtocolViolationException($"invalid ReadyForQuery message: transaction status {MessageReader.Describe(status)}");
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        // Byte1('Z'), Int32(5).
        writer.StartMessage((byte)BackendMessageCode.ReadyForQuery);
        writer.WriteByte((byte)Status);
        writer.FinishMessage();
    }
}
