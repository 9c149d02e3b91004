namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>
/// What may open a connection: a StartupMessage, or one of the special requests that share its layout and are told
/// apart by the Int32 in the place of the protocol version (SSLRequest, GSSENCRequest, CancelRequest).
/// </summary>
internal abstract record StartupRequest : FrontendMessage
{
    /// <summary>
    /// PostgreSQL's PG_PROTOCOL(m, n) (src/include/libpq/pqcomm.h): the major version in the high 16 bits, the minor in
    /// the low. The special request codes are versions 1234.5678 to 1234.5680, which no protocol will ever use.
    /// </summary>
    public static int Version(int major, int minor) => (major << 16) | minor;

    public static int Major(int version) => (int)((uint)version >> 16);

    public static int Minor(int version) => version & 0xffff;
}
