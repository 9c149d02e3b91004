using System.Diagnostics;

namespace Backstop.Postgres.Sandbox;

/// <summary>
/// Runs PostgreSQL's programs. initdb and postgres refuse to run as root, so when we are root they run
/// as the <c>postgres</c> system user (created by Debian's postgresql-common) through runuser.
/// </summary>
internal static class ToolProcess
{
    public const string ServiceUser = "postgres";

    public static bool RunningAsRoot { get; } = !OperatingSystem.IsWindows() && Environment.IsPrivilegedProcess;

    public static async Task<(int ExitCode, string Output)> RunAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var result = await Tools.ClusterOwner.Service.RunAsync(program, arguments, cancellationToken);
        return (result.ExitCode, result.Output + result.Errors);
    }

    /// <summary>Gives the service user the directory when we are root; a no-op otherwise.</summary>
    public static async Task HandOverAsync(string directory, CancellationToken cancellationToken)
    {
        if (!RunningAsRoot)
        {
            return;
        }

        var info = new ProcessStartInfo("chown") { UseShellExecute = false, RedirectStandardError = true };
        info.ArgumentList.Add("-R");
        info.ArgumentList.Add($"{ServiceUser}:{ServiceUser}");
        info.ArgumentList.Add(directory);
        using var process = Process.Start(info) ?? throw new SandboxException("could not start chown");
        var error = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new SandboxException($"running as root, the sandbox must belong to the '{ServiceUser}' user, but chown failed: {error.Trim()}; install postgresql-15 (it creates that user) or run as a normal user");
        }
    }
}
