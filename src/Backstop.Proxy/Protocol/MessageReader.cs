using System.Buffers;
using Backstop.Proxy.Protocol.Frontend;

namespace Backstop.Proxy.Protocol;

/// <summary>
/// Frames messages out of the bytes a PipeReader has buffered. Each TryRead method returns false for "need more data"
/// (the buffer is left as it was) and throws <see cref="ProtocolViolationException"/> for malformed input, as soon as
/// the bytes that prove it are there. A declared length is checked against its cap the moment its four bytes have
/// arrived, before anything is sliced, copied or allocated; on success the buffer is advanced past the message.
/// </summary>
internal sealed class MessageReader(ProtocolLimits limits)
{
    private const int LengthWord = 4;
    private const int Header = 1 + LengthWord;

    public ProtocolLimits Limits { get; } = limits;

    /// <summary>
    /// The first packet of a connection (or the one after an SSLRequest or GSSENCRequest was answered): a StartupMessage,
    /// SSLRequest, GSSENCRequest or CancelRequest. It has no type byte, only a length ("Message Formats").
    /// </summary>
    public static bool TryReadStartup(ref ReadOnlySequence<byte> buffer, out StartupRequest? request)
    {
        request = null;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadBigEndian(out int length))
        {
            return false;
        }

        // ProcessStartupPacket (src/backend/tcop/backend_startup.c, postmaster.c before 17) discounts the length word and
        // requires the rest to hold at least the Int32 version and at most MAX_STARTUP_PACKET_LENGTH bytes. A length
        // with the high bit set reads as negative and fails the same test.
        var body = (long)length - LengthWord;
        if (body < 4 || body > ProtocolLimits.MaxStartupPacketBody)
        {
            throw new ProtocolViolationException(
                $"invalid length of startup packet: {length} bytes declared, a startup packet has 8 to {ProtocolLimits.MaxStartupPacketBody + LengthWord}");
        }

        if (reader.Remaining < body)
        {
            return false;
        }

        var packet = reader.UnreadSequence.Slice(0, body);
        request = StartupRequestParser.Parse(packet);
        buffer = buffer.Slice(LengthWord + body);
        return true;
    }

    /// <summary>
    /// A message of the authentication exchange: only 'p' (PasswordMessage, SASLInitialResponse, SASLResponse), capped
    /// at PG_MAX_AUTH_TOKEN_LENGTH as PostgreSQL caps it (src/backend/libpq/auth.c).
    /// </summary>
    public static bool TryReadAuthentication(ref ReadOnlySequence<byte> buffer, out MessageFrame frame)
    {
        frame = default;
        if (buffer.IsEmpty)
        {
            return false;
        }

        var code = buffer.FirstSpan[0];
        if (code != (byte)FrontendMessageCode.PasswordMessage)
        {
            throw new ProtocolViolationException($"expected a password or SASL response message, got message type {Describe(code)}");
        }

        return TryReadFrame(ref buffer, ProtocolLimits.AuthenticationMessageLimit, out frame);
    }

    /// <summary>
    /// A message of an authenticated session. The type byte is validated before the length is even read, as
    /// PostgreSQL's SocketBackend does (src/backend/tcop/postgres.c: "if we have lost sync, better to say 'command
    /// unknown' than to run out of memory because we used garbage as a length word").
    /// </summary>
    public bool TryReadFrontend(ref ReadOnlySequence<byte> buffer, out MessageFrame frame)
    {
        frame = default;
        if (buffer.IsEmpty)
        {
            return false;
        }

        var code = buffer.FirstSpan[0];
        return TryReadFrame(ref buffer, FrontendCap(code), out frame);
    }

    /// <summary>A message from the upstream server: any type byte (unknown ones are relayed raw), the backend cap.</summary>
    public bool TryReadBackend(ref ReadOnlySequence<byte> buffer, out MessageFrame frame) =>
        TryReadFrame(ref buffer, Limits.MaxBackendMessageLength, out frame);

    /// <summary>
    /// The cap for each frontend message type, after SocketBackend's maxmsglen (PostgreSQL 14 and later): messages that
    /// carry SQL or data get the large limit, which Backstop makes a setting; the others PQ_SMALL_MESSAGE_LIMIT.
    /// </summary>
    private int FrontendCap(byte code) => (FrontendMessageCode)code switch
    {
        FrontendMessageCode.Query or FrontendMessageCode.Parse or FrontendMessageCode.Bind
            or FrontendMessageCode.FunctionCall or FrontendMessageCode.CopyData => Limits.MaxMessageLength,
        FrontendMessageCode.Close or FrontendMessageCode.Describe or FrontendMessageCode.Execute or FrontendMessageCode.Flush
            or FrontendMessageCode.Sync or FrontendMessageCode.Terminate or FrontendMessageCode.CopyDone
            or FrontendMessageCode.CopyFail => ProtocolLimits.SmallMessageLimit,
        _ => throw new ProtocolViolationException($"invalid frontend message type {Describe(code)}"),
    };

    private static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int cap, out MessageFrame frame)
    {
        frame = default;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryRead(out var code) || !reader.TryReadBigEndian(out int length))
        {
            return false;
        }

        // pq_getmessage (src/backend/libpq/pqcomm.c): "if (len < 4 || len > maxlen)" on the length as sent, which counts
        // itself. A negative Int32 (high bit set) is below 4.
        if (length < LengthWord || length > cap)
        {
            throw new ProtocolViolationException(
                $"invalid message length {length} for message type {Describe(code)}: a message is 4 to {cap} bytes long, length word included");
        }

        var body = length - LengthWord;
        if (reader.Remaining < body)
        {
            return false;
        }

        frame = new MessageFrame(code, reader.UnreadSequence.Slice(0, body));
        buffer = buffer.Slice(Header + body);
        return true;
    }

    internal static string Describe(byte code) =>
        code is >= 0x20 and < 0x7f ? $"'{(char)code}' ({code})" : code.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
