using System.Diagnostics;
using Backstop.Postgres.Tools;

namespace Backstop.Recovery.Pitr.Wal;

/// <summary>
/// Runs pg_waldump as the current user (it reads copies of the segments, and refuses nothing as root), handing its
/// output over line by line: a segment decodes into tens of MB of text, which is parsed as it comes rather than
/// held. Commit times are printed in pg_waldump's local time zone, named by its abbreviation, so it runs in UTC.
/// </summary>
internal static class WalDumpProcess
{
    public static async Task<ToolResult> RunAsync(string waldump, IReadOnlyList<string> arguments, Action<string> onLine, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(waldump)
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

        info.Environment["TZ"] = "UTC";
        info.Environment["LC_ALL"] = "C";
        using var process = Process.Start(info) ?? throw new PitrException($"could not start {waldump}");
        process.StandardInput.Close();
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
            {
                onLine(line);
            }

            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new ToolResult("pg_waldump", process.ExitCode, "", await errors);
    }
}
