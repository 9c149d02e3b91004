namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>Turns a frame of an authenticated session into its message; 'p' is read by the authentication step instead.</summary>
internal static class FrontendMessageDecoder
{
    public static FrontendMessage Decode(in MessageFrame frame) => (FrontendMessageCode)frame.Code switch
    {
        FrontendMessageCode.Query => Query.Read(frame.Payload),
        FrontendMessageCode.Parse => Parse.Read(frame.Payload),
        FrontendMessageCode.Bind => Bind.Read(frame.Payload),
        FrontendMessageCode.Describe => Describe.Read(frame.Payload),
        FrontendMessageCode.Execute => Execute.Read(frame.Payload),
        FrontendMessageCode.Close => Close.Read(frame.Payload),
        FrontendMessageCode.Sync => Sync.Read(frame.Payload),
        FrontendMessageCode.Flush => Flush.Read(frame.Payload),
        FrontendMessageCode.CopyData => CopyData.Read(frame.Payload),
        FrontendMessageCode.CopyDone => CopyDone.Read(frame.Payload),
        FrontendMessageCode.CopyFail => CopyFail.Read(frame.Payload),
        FrontendMessageCode.Terminate => Terminate.Read(frame.Payload),
        FrontendMessageCode.FunctionCall => FunctionCall.Read(frame.Payload),
        _ => throw new ProtocolViolationException($"invalid frontend message type {MessageReader.Describe(frame.Code)}"),
    };
}
