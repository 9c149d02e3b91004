namespace Backstop.Server.Services;

/// <summary>
/// A request the server refuses, with the HTTP status it answers and the exit code the CLI turns it into (the table in
/// docs/cli.md): the message names the thing and the fix, as the CLI's own would.
/// </summary>
public sealed class ProblemException(int status, int exitCode, string message) : Exception(message)
{
    public int Status { get; } = status;

    public int ExitCode { get; } = exitCode;

    public static ProblemException BadRequest(string message) => new(400, 2, message);

    /// <summary>Not signed in, or the token is no longer good.</summary>
    public static ProblemException SignIn(string message) => new(401, 2, message);

    /// <summary>Refused: the role, the requester approving their own request, a replay.</summary>
    public static ProblemException Refused(string message) => new(403, 3, message);

    public static ProblemException NotFound(string message) => new(404, 2, message);

    /// <summary>It was good once and is no more: a snapshot link used already or expired.</summary>
    public static ProblemException Gone(string message) => new(410, 3, message);

    /// <summary>It still needs an approval that it does not have (open or expired).</summary>
    public static ProblemException NeedsApproval(string message) => new(409, 4, message);

    public static ProblemException TooMany(string message) => new(429, 1, message);
}
