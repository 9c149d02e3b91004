namespace Backstop.Proxy.Protocol;

/// <summary>The SQLSTATEs of PostgreSQL's "Error Codes" appendix (errcodes.txt) that the protocol layer reports.</summary>
internal static class SqlStates
{
    /// <summary>Class 08, protocol_violation.</summary>
    public const string ProtocolViolation = "08P01";

    /// <summary>Class 0A, feature_not_supported: PostgreSQL's code for an unsupported frontend protocol version.</summary>
    public const string FeatureNotSupported = "0A000";

    /// <summary>Class 28, invalid_authorization_specification: no user name, or no encryption where it is required.</summary>
    public const string InvalidAuthorizationSpecification = "28000";

    /// <summary>Class 28, invalid_password: "password authentication failed for user".</summary>
    public const string InvalidPassword = "28P01";
}
