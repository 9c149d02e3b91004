namespace Backstop.Proxy.Protocol;

/// <summary>
/// The first byte of each message a client sends after the startup packet ("Message Formats", the Byte1 fields marked
/// F). The startup packet, SSLRequest, GSSENCRequest and CancelRequest have no code: they begin with their length.
/// </summary>
internal enum FrontendMessageCode : byte
{
    Bind = (byte)'B',
    Close = (byte)'C',
    CopyData = (byte)'d',
    CopyDone = (byte)'c',
    CopyFail = (byte)'f',
    Describe = (byte)'D',
    Execute = (byte)'E',
    Flush = (byte)'H',
    FunctionCall = (byte)'F',
    Parse = (byte)'P',

    /// <summary>PasswordMessage, SASLInitialResponse, SASLResponse and GSSResponse all share 'p'; context tells them apart.</summary>
    PasswordMessage = (byte)'p',
    Query = (byte)'Q',
    Sync = (byte)'S',
    Terminate = (byte)'X',
}
