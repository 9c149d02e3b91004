namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>
/// StartupMessage (F), "Message Formats": the protocol version the client asks for and its connection parameters.
/// <c>user</c> names the Backstop user, <c>database</c> the environment; names beginning with <c>_pq_.</c> are protocol
/// options, everything else is a run-time parameter (GUC) for the session.
/// </summary>
internal sealed record StartupMessage(int ProtocolVersion, IReadOnlyList<KeyValuePair<string, string>> Parameters) : StartupRequest
{
    /// <summary>Protocol 3.0, the only version Backstop speaks: Int32(196608).</summary>
    public static readonly int Protocol30 = Version(3, 0);

    /// <summary>"_pq_." prefixes protocol options (as opposed to run-time parameters), "Message Formats".</summary>
    public const string ProtocolOptionPrefix = "_pq_.";

    public int MajorVersion => Major(ProtocolVersion);

    public int MinorVersion => Minor(ProtocolVersion);

    /// <summary>"The database user name to connect as. Required; there is no default."</summary>
    public string? User => Get("user");

    /// <summary>"The database to connect to. Defaults to the user name."</summary>
    public string? Database => Get("database") ?? User;

    public IEnumerable<string> ProtocolOptions =>
        Parameters.Where(p => p.Key.StartsWith(ProtocolOptionPrefix, StringComparison.Ordinal)).Select(p => p.Key);

    /// <summary>The value of a parameter; the last one when a client repeats a name, as the server's later SET would win.</summary>
    public string? Get(string name)
    {
        string? value = null;
        foreach (var parameter in Parameters)
        {
            if (string.Equals(parameter.Key, name, StringComparison.Ordinal))
            {
                value = parameter.Value;
            }
        }

        return value;
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        // Int32: length of message contents in bytes, including self.
        writer.StartUntypedMessage();
        // Int32(196608): the protocol version number; most significant 16 bits major, least significant 16 bits minor.
        writer.WriteInt32(ProtocolVersion);
        foreach (var (name, value) in Parameters)
        {
            // String: the parameter name; String: the parameter value.
            writer.WriteCString(name);
            writer.WriteCString(value);
        }

        // Byte1('\0'): "A zero byte is required as a terminator after the last name/value pair."
        writer.WriteByte(0);
        writer.FinishMessage();
    }
}
