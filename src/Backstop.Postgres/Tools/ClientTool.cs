using System.Diagnostics;
using System.Text;
using Backstop.Postgres.Connections;
using Backstop.Postgres.Sandbox;

namespace Backstop.Postgres.Tools;

/// <summary>What a PostgreSQL client program left behind: its exit code and what it printed.</summary>
public sealed record ToolResult(string Program, int ExitCode, string Output, string Errors)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The last lines of standard error, for a message that names what went wrong.</summary>
    public string ErrorSummary(int lines = 6)
    {
        var all = Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return all.Length == 0 ? $"{Program} exited with {ExitCode} and printed nothing" : string.Join(" | ", all.TakeLast(lines));
    }
}

/// <summary>
/// Runs PostgreSQL's client programs (pg_dump, pg_restore, pg_amcheck, psql) from the installed binaries, as the
/// current user, reaching the server through libpq environment variables only: the password is never on a
/// command line. Inherited <c>PG*</c> variables are cleared first, so that a stray PGSERVICE or PGDATABASE in
/// the caller's shell cannot send the program to another server.
/// </summary>
public static class ClientTool
{
    public static string PathOf(string program) => PgBinaries.Find().Path(program);

    public static async Task<ToolResult> RunAsync(
        string program,
        IReadOnlyList<string> arguments,
        PgUrl? url,
        Action<string>? onErrorLine = null,
        CancellationToken cancellationToken = default)
    {
        var path = PathOf(program);
        if (!File.Exists(path))
        {
            throw new SandboxException($"{program} was not found at {path}; install PostgreSQL's client programs with `apt-get install postgresql-client-15`");
        }

        var info = StartInfo(path, arguments, url?.ToLibpqEnvironment() ?? new Dictionary<string, string>());
        using var process = Process.Start(info) ?? throw new SandboxException($"could not start {program}");
        process.StandardInput.Close();
        var errors = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = Task.Run(
            async () =>
            {
                while (await process.StandardError.ReadLineAsync(cancellationToken) is { } line)
                {
                    errors.AppendLine(line);
                    onErrorLine?.Invoke(line);
                }
            },
            cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
            await stderr;
            return new ToolResult(program, process.ExitCode, await stdout, errors.ToString());
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    /// <summary>
    /// Runs a program by its path (a tool that must match a server's version), with <paramref name="environment"/> on
    /// top of a clean one, handing its standard output over line by line instead of keeping it (pg_waldump prints tens
    /// of MB per WAL segment).
    /// </summary>
    public static async Task<ToolResult> RunStreamingAsync(
        string path,
        IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string> environment,
        Action<string> onOutputLine,
        CancellationToken cancellationToken)
    {
        using var process = Process.Start(StartInfo(path, arguments, environment)) ?? throw new SandboxException($"could not start {path}");
        process.StandardInput.Close();
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
            {
                onOutputLine(line);
            }

            await process.WaitForExitAsync(cancellationToken);
            return new ToolResult(Path.GetFileName(path), process.ExitCode, "", await errors);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    /// <summary>Inherited <c>PG*</c> variables are cleared first, so that none can send the program to another server.</summary>
    private static ProcessStartInfo StartInfo(string path, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("PG", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return info;
    }
}
