namespace Backstop.Proxy.Protocol;

/// <summary>
/// A peer sent bytes that are not a valid message of the PostgreSQL v3 protocol. The connection cannot be trusted to be
/// in sync afterwards and is closed, as PostgreSQL closes it (SQLSTATE 08P01, protocol_violation, unless said
/// otherwise).
/// </summary>
public sealed class ProtocolViolationException : Exception
{
    public ProtocolViolationException(string message, string sqlState = SqlStates.ProtocolViolation)
        : base(message) => SqlState = sqlState;

    public ProtocolViolationException()
        : this("protocol violation")
    {
    }

    public ProtocolViolationException(string message, Exception innerException)
        : base(message, innerException) => SqlState = SqlStates.ProtocolViolation;

    /// <summary>The SQLSTATE to report in the FATAL ErrorResponse sent before closing.</summary>
    public string SqlState { get; }
}
