using System.Buffers;
using System.Globalization;
using Backstop.Proxy.Protocol;
using Backstop.Proxy.Protocol.Backend;
using Backstop.Proxy.Protocol.Frontend;

namespace Backstop.Proxy.Startup;

/// <summary>
/// The start of a connection, before authentication, as PostgreSQL's ProcessStartupPacket plays it: encryption requests
/// answered, then one StartupMessage (or a CancelRequest). Pure: it reads from a buffer and says what to do, so every
/// branch is testable without a socket. Malformed input throws <see cref="ProtocolViolationException"/>.
/// </summary>
internal sealed class StartupNegotiator(StartupOptions options)
{
    public const byte Accept = (byte)'S';
    public const byte Decline = (byte)'N';

    private State _state = State.AwaitingPacket;
    private bool _sslAnswered;
    private bool _gssAnswered;

    private enum State
    {
        AwaitingPacket,
        AwaitingTlsHandshake,
        Done,
    }

    public bool TlsActive { get; private set; }

    /// <summary>Consumes the next startup packet from <paramref name="buffer"/>, if it is all there, and decides.</summary>
    public StartupStep Next(ref ReadOnlySequence<byte> buffer)
    {
        if (_state != State.AwaitingPacket)
        {
            throw new InvalidOperationException(_state == State.Done
                ? "the startup packet was already processed"
                : "the TLS handshake must complete (TlsEstablished) before the next startup packet");
        }

        if (!MessageReader.TryReadStartup(ref buffer, out var request))
        {
            return StartupStep.NeedMoreData.Instance;
        }

        switch (request)
        {
            case SslRequest:
                return AnswerSsl(buffer);
            case GssEncRequest:
                // GSSAPI encryption is not offered; the client may go on with SSLRequest or in the clear.
                Once(ref _gssAnswered, "GSSENCRequest");
                return new StartupStep.AnswerEncryptionRequest(Decline);
            case CancelRequest cancel:
                _state = State.Done;
                return new StartupStep.Cancel(cancel);
            default:
                _state = State.Done;
                return Start((StartupMessage)request!);
        }
    }

    /// <summary>The TLS handshake that followed an 'S' succeeded; the next packet arrives encrypted.</summary>
    public void TlsEstablished()
    {
        if (_state != State.AwaitingTlsHandshake)
        {
            throw new InvalidOperationException("no SSLRequest was accepted");
        }

        TlsActive = true;
        // Inside TLS there is nothing left to negotiate: a GSSENCRequest now is as wrong as a second SSLRequest.
        _gssAnswered = true;
        _state = State.AwaitingPacket;
    }

    private StartupStep AnswerSsl(ReadOnlySequence<byte> rest)
    {
        Once(ref _sslAnswered, "SSLRequest");
        if (!options.TlsAvailable)
        {
            return new StartupStep.AnswerEncryptionRequest(Decline);
        }

        // Bytes that arrived with the SSLRequest were sent before the handshake, in the clear, and could have been
        // injected by a man in the middle to be read as if they came over TLS: CVE-2021-3935 (PgBouncer) and
        // CVE-2021-23214 (PostgreSQL, "received unencrypted data after SSL request"). Nothing may be buffered here.
        if (!rest.IsEmpty)
        {
            throw new ProtocolViolationException(
                $"received unencrypted data after SSL request ({rest.Length} bytes sent before the TLS handshake); the connection is closed, as PostgreSQL closes it (CVE-2021-23214, CVE-2021-3935)");
        }

        _state = State.AwaitingTlsHandshake;
        return new StartupStep.AnswerEncryptionRequest(Accept);
    }

    private StartupStep Start(StartupMessage message)
    {
        if (message.MajorVersion != 3)
        {
            // ProcessStartupPacket: ERRCODE_FEATURE_NOT_SUPPORTED, "unsupported frontend protocol %u.%u: server supports %u.0 to %u.%u".
            return Refuse(SqlStates.FeatureNotSupported, string.Create(CultureInfo.InvariantCulture,
                $"unsupported frontend protocol {message.MajorVersion}.{message.MinorVersion}: server supports 3.0 to 3.0"));
        }

        if (options.RequireTls && !TlsActive)
        {
            return Refuse(SqlStates.InvalidAuthorizationSpecification,
                "the Backstop proxy accepts only encrypted connections; connect with sslmode=require (or verify-full)");
        }

        var user = message.User;
        if (string.IsNullOrEmpty(user))
        {
            // ProcessStartupPacket: ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION.
            return Refuse(SqlStates.InvalidAuthorizationSpecification, "no PostgreSQL user name specified in startup packet");
        }

        // A newer 3.x (3.2 is PostgreSQL 18's) or _pq_. options we do not know: NegotiateProtocolVersion, then go on
        // with 3.0 and none of the options, as the server does ("Protocol Versions" in "Message Flow").
        var unrecognized = message.ProtocolOptions.ToList();
        var negotiation = message.MinorVersion > 0 || unrecognized.Count > 0
            ? new NegotiateProtocolVersion(StartupMessage.Protocol30, unrecognized)
            : null;
        return new StartupStep.Start(message, user, message.Database ?? user, negotiation);
    }

    private StartupStep.Refuse Refuse(string sqlState, string text)
    {
        _state = State.Done;
        return new StartupStep.Refuse(ErrorResponse.Fatal(sqlState, text));
    }

    private static void Once(ref bool answered, string request)
    {
        if (answered)
        {
            throw new ProtocolViolationException($"{request} sent twice; a client asks for each kind of encryption once");
        }

        answered = true;
    }
}
