namespace Backstop.Proxy;

/// <summary>
/// The bounds the proxy holds every client message to. Lengths are checked against these before a byte of the message
/// body is sliced or allocated, so a client that declares a huge message costs nothing but the five bytes it sent.
/// </summary>
public sealed record ProtocolLimits
{
    /// <summary>
    /// PostgreSQL's MAX_STARTUP_PACKET_LENGTH (src/include/libpq/pqcomm.h): the startup packet after its length word may
    /// not exceed 10,000 bytes. "This is just to prevent simple denial-of-service attacks."
    /// </summary>
    public const int MaxStartupPacketBody = 10_000;

    /// <summary>
    /// PostgreSQL's PQ_SMALL_MESSAGE_LIMIT (src/include/libpq/libpq.h): the cap the server applies since version 14 to
    /// messages that carry no user data (Close, Describe, Execute, Flush, Sync, Terminate, CopyDone, CopyFail).
    /// </summary>
    public const int SmallMessageLimit = 10_000;

    /// <summary>
    /// PostgreSQL's PG_MAX_AUTH_TOKEN_LENGTH (src/backend/libpq/auth.c): the cap on a password or SASL message.
    /// </summary>
    public const int AuthenticationMessageLimit = 65_535;

    /// <summary>PostgreSQL's PQ_LARGE_MESSAGE_LIMIT (MaxAllocSize - 1, src/include/libpq/libpq.h): just under 1 GiB.</summary>
    public const int PostgresLargeMessageLimit = (1 << 30) - 2;

    /// <summary>
    /// The largest Query, Parse, Bind, FunctionCall or CopyData message accepted from a client, length word included.
    /// PostgreSQL allows just under 1 GiB; the proxy defaults to 256 MiB because it may hold a whole message in memory
    /// to judge it, and a quarter of a gigabyte of SQL or of one COPY row is already far past any legitimate client.
    /// </summary>
    public int MaxMessageLength { get; init; } = 256 * 1024 * 1024;

    /// <summary>The largest message accepted from the upstream server (its rows can be large), length word included.</summary>
    public int MaxBackendMessageLength { get; init; } = PostgresLargeMessageLimit;

    public static ProtocolLimits Default { get; } = new();

    /// <summary>Why these limits cannot be used, or null.</summary>
    public string? Problem() =>
        MaxMessageLength < SmallMessageLimit || MaxMessageLength > PostgresLargeMessageLimit
            ? $"proxy max_message_length must be between {SmallMessageLimit} and {PostgresLargeMessageLimit} bytes (it is {MaxMessageLength}); PostgreSQL itself accepts no more than {PostgresLargeMessageLimit}"
            : MaxBackendMessageLength < SmallMessageLimit || MaxBackendMessageLength > PostgresLargeMessageLimit
                ? $"proxy max_backend_message_length must be between {SmallMessageLimit} and {PostgresLargeMessageLimit} bytes (it is {MaxBackendMessageLength})"
                : null;
}
