namespace Backstop.Proxy.Protocol.Backend;

/// <summary>
/// A backend message the proxy relays without interpreting (RowDescription, DataRow, CommandComplete, CopyData, ...):
/// its type byte and its contents, written back exactly as they came.
/// </summary>
internal sealed record RawMessage(byte Code, ReadOnlyMemory<byte> Payload) : BackendMessage
{
    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage(Code);
        writer.WriteBytes(Payload.Span);
        writer.FinishMessage();
    }
}
