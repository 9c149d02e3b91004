using Backstop.Proxy.Protocol.Backend;
using Backstop.Proxy.Protocol.Frontend;

namespace Backstop.Proxy.Startup;

/// <summary>What the connection does next, as the <see cref="StartupNegotiator"/> decided it from the bytes so far.</summary>
internal abstract record StartupStep
{
    /// <summary>The packet is not complete yet: read more and ask again.</summary>
    public sealed record NeedMoreData : StartupStep
    {
        public static NeedMoreData Instance { get; } = new();
    }

    /// <summary>
    /// Write the single byte <see cref="Response"/> ('S' or 'N', not a message: "Message Flow", SSL Session Encryption).
    /// After 'S' the TLS handshake comes next and then <see cref="StartupNegotiator.TlsEstablished"/>; after 'N' the
    /// client goes on in the clear with its next startup packet.
    /// </summary>
    public sealed record AnswerEncryptionRequest(byte Response) : StartupStep
    {
        public bool StartTls => Response == StartupNegotiator.Accept;
    }

    /// <summary>A CancelRequest: route it to the session it names, answer nothing, close ("Canceling Requests in Progress").</summary>
    public sealed record Cancel(CancelRequest Request) : StartupStep;

    /// <summary>
    /// A StartupMessage to go on with: authenticate <see cref="User"/> for the environment <see cref="Database"/>.
    /// <see cref="Negotiation"/>, when present, is written first, before the authentication request.
    /// </summary>
    public sealed record Start(StartupMessage Message, string User, string Database, NegotiateProtocolVersion? Negotiation) : StartupStep;

    /// <summary>Write this FATAL error and close, as the server does when it refuses a startup packet.</summary>
    public sealed record Refuse(ErrorResponse Error) : StartupStep;
}
