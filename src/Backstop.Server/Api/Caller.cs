using Backstop.Core.Team;
using Backstop.Server.Services;
using Microsoft.AspNetCore.Http;

namespace Backstop.Server.Api;

/// <summary>Who calls: the bearer token of the Authorization header, checked by <see cref="SignInService"/>.</summary>
internal static class Caller
{
    public static string? From(HttpContext http) => http.Connection.RemoteIpAddress?.ToString();

    public static Task<SignedInUser> UserAsync(HttpContext http, SignInService signIn)
    {
        var header = http.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : null;
        return signIn.AuthenticateAsync(token, From(http), http.RequestAborted);
    }

    /// <summary>Reading the audit log: admins and approvers (who answer for what they approved).</summary>
    public static async Task<SignedInUser> AuditorAsync(HttpContext http, SignInService signIn)
    {
        var user = await UserAsync(http, signIn);
        return user.User.MayApprove
            ? user
            : throw ProblemException.Refused($"the audit log is for approvers and admins; {user.Name} is {user.User.Role.ToString().ToLowerInvariant()}");
    }

    public static async Task<SignedInUser> AdminAsync(HttpContext http, SignInService signIn)
    {
        var user = await UserAsync(http, signIn);
        return user.User.Role == TeamRole.Admin
            ? user
            : throw ProblemException.Refused($"managing people needs the admin role; {user.Name} is {user.User.Role.ToString().ToLowerInvariant()}");
    }
}
