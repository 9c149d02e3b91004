using Backstop.Proxy.Protocol;
using Backstop.Proxy.Protocol.Backend;

namespace Backstop.Proxy.Authentication;

/// <summary>The errors a client sees when authentication fails, worded as PostgreSQL words them.</summary>
internal static class AuthenticationFailure
{
    /// <summary>
    /// auth.c, auth_failed: FATAL 28P01 "password authentication failed for user". The same answer for a wrong
    /// password and an unknown user, so that it tells nobody which names exist.
    /// </summary>
    public static ErrorResponse PasswordFailed(string user) =>
        ErrorResponse.Fatal(SqlStates.InvalidPassword, $"password authentication failed for user \"{user}\"");
}
