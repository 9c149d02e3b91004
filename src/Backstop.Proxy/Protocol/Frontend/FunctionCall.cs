using System.Buffers;

namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>
/// FunctionCall (F), "Message Formats": the legacy fast-path call of a function by OID. Kept whole and relayed, not
/// interpreted; whether the guard lets it through is the session's decision.
/// </summary>
internal sealed record FunctionCall(byte[] Payload) : FrontendMessage
{
    public static FunctionCall Read(ReadOnlySequence<byte> payload) => new(payload.ToArray());

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)FrontendMessageCode.FunctionCall);
        writer.WriteBytes(Payload);
        writer.FinishMessage();
    }
}
