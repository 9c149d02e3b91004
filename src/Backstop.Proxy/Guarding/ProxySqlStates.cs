namespace Backstop.Proxy.Guarding;

/// <summary>
/// The SQLSTATEs the proxy answers with when it, not PostgreSQL, refuses a statement (docs/proxy.md, "Errors"). Class
/// <c>ZB</c> is in the range the SQL standard leaves to implementations (first character I–Z), and no PostgreSQL
/// class uses it, so an application can tell Backstop's refusals from the server's errors.
/// </summary>
public static class ProxySqlStates
{
    /// <summary>The statement needs another person's approval; a request was made (its id is in the HINT).</summary>
    public const string ApprovalRequired = "ZB001";

    /// <summary>The tier's policy denies the statement.</summary>
    public const string Denied = "ZB002";

    /// <summary>The statement needs a confirmation the session did not give (<c>SET backstop.confirm</c>).</summary>
    public const string ConfirmationRequired = "ZB003";

    /// <summary>A service account's statement that the static guard refuses on this tier.</summary>
    public const string RefusedForService = "ZB004";

    /// <summary>The statement cannot be guarded as sent (it could not be measured, its parameters cannot be read, …).</summary>
    public const string NotGuardable = "ZB005";

    /// <summary>The audit log cannot be written, so no session starts (FATAL at connection).</summary>
    public const string AuditUnavailable = "ZB006";
}
