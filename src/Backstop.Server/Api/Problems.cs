using Backstop.Core.Changes;
using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Core.Preview;
using Backstop.Server.Services;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Backstop.Server.Api;

/// <summary>
/// Every failure of an API call as an RFC 9457 problem document that carries the message and the exit code the CLI
/// would show for it locally (<c>detail</c>, <c>exitCode</c>). Messages never hold a credential: connection errors name
/// host, port, database and user only.
/// </summary>
internal static class Problems
{
    public static (int Status, int ExitCode)? Classify(Exception e) => e switch
    {
        ProblemException p => (p.Status, p.ExitCode),
        ConfigException or ScriptRejectedException or TargetMismatchException or Core.Capture.CaptureSchemaTooNewException => (400, 2),
        ChangeNotRunnableException => (403, 3),
        ConnectionFailedException => (502, 1),
        StatementFailedException or LockConflictException or Core.Capture.CapturePrivilegeException => (422, 1),
        Npgsql.NpgsqlException or TimeoutException => (502, 1),
        Microsoft.AspNetCore.Http.BadHttpRequestException or System.Text.Json.JsonException => (400, 2),
        _ => null,
    };

    public static async Task WriteAsync(HttpContext http, int status, int exitCode, string title, string detail)
    {
        http.Response.StatusCode = status;
        await http.Response.WriteAsJsonAsync(new { type = "about:blank", title, status, detail, exitCode }, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json", http.RequestAborted);
    }

    /// <summary>Turns the exceptions of every endpoint into problem documents; an unexpected one is logged by type and message, and answered 500.</summary>
    public static async Task Middleware(HttpContext http, RequestDelegate next)
    {
        try
        {
            await next(http);
        }
        catch (Exception e) when (!http.Response.HasStarted && Classify(e) is { } known)
        {
            await WriteAsync(http, known.Status, known.ExitCode, Title(known.Status), e.Message);
        }
        catch (Exception e) when (!http.Response.HasStarted && e is not OperationCanceledException)
        {
            var logger = http.RequestServices.GetService(typeof(ILogger<ServerHost>)) as ILogger;
            logger?.LogError("unexpected {Type} on {Method} {Path}: {Message}", e.GetType().Name, http.Request.Method, http.Request.Path, e.Message);
            await WriteAsync(http, 500, 1, "Internal error", $"unexpected {e.GetType().Name} on the server; the server's log has the detail");
        }
    }

    private static string Title(int status) => status switch
    {
        400 => "Bad request",
        401 => "Sign-in needed",
        403 => "Refused",
        404 => "Not found",
        409 => "Conflict",
        422 => "Statement failed",
        429 => "Too many requests",
        502 => "Database unreachable",
        _ => "Error",
    };
}
