using System.Buffers;

namespace Backstop.Proxy.Protocol.Backend;

/// <summary>
/// Turns a frame from the upstream server into the messages the proxy interprets; every other one becomes a
/// <see cref="RawMessage"/> (copied out of the buffer) to be relayed as it came.
/// </summary>
internal static class BackendMessageDecoder
{
    public static BackendMessage Decode(in MessageFrame frame) => (BackendMessageCode)frame.Code switch
    {
        BackendMessageCode.Authentication => DecodeAuthentication(frame),
        BackendMessageCode.ParameterStatus => ParameterStatus.Read(frame.Payload),
        BackendMessageCode.BackendKeyData => BackendKeyData.Read(frame.Payload),
        BackendMessageCode.ReadyForQuery => ReadyForQuery.Read(frame.Payload),
        BackendMessageCode.ErrorResponse => ErrorResponse.Read(frame.Payload),
        BackendMessageCode.NoticeResponse => NoticeResponse.Read(frame.Payload),
        BackendMessageCode.NegotiateProtocolVersion => NegotiateProtocolVersion.Read(frame.Payload),
        _ => new RawMessage(frame.Code, frame.Payload.ToArray()),
    };

    private static BackendMessage DecodeAuthentication(in MessageFrame frame)
    {
        var reader = new PayloadReader(frame.Payload, "Authentication");
        return (AuthenticationRequest)reader.ReadInt32("authentication type") switch
        {
            AuthenticationRequest.Ok => AuthenticationOk.Read(frame.Payload),
            AuthenticationRequest.Sasl => AuthenticationSasl.Read(frame.Payload),
            AuthenticationRequest.SaslContinue => AuthenticationSaslContinue.Read(frame.Payload),
            AuthenticationRequest.SaslFinal => AuthenticationSaslFinal.Read(frame.Payload),
            _ => new RawMessage(frame.Code, frame.Payload.ToArray()),
        };
    }
}
