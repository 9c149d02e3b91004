using System.Diagnostics;

namespace Backstop.Cli.Tests;

/// <summary>The real `backstop` binary in a process of its own, for tests that kill it part-way (SIGKILL) or run several at once.</summary>
internal static class BackstopProcess
{
    /// <summary>Runs `backstop ARGS` in <paramref name="workingDirectory"/> to the end.</summary>
    /// <param name="output">receives standard output as it comes (then the returned Out is empty); null to return it as text.</param>
    public static async Task<CliResult> RunAsync(string workingDirectory, IReadOnlyList<string> args, Stream? output = null)
    {
        using var process = Start(workingDirectory, args);
        var stdout = output is null ? process.StandardOutput.ReadToEndAsync() : CopyAsync(process.StandardOutput.BaseStream, output);
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>`dotnet backstop.dll ARGS` with its standard streams redirected and no standard input.</summary>
    private static Process Start(string workingDirectory, IReadOnlyList<string> args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "backstop.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        process.StandardInput.Close();
        return process;
    }

    private static async Task<string> CopyAsync(Stream from, Stream to)
    {
        await from.CopyToAsync(to);
        return "";
    }

    /// <summary>
    /// Runs `backstop ARGS` in <paramref name="workingDirectory"/> and kills it after <paramref name="after"/> unless it
    /// finished first: alone (as the OOM killer or a `kill -9` would), or with its children (pg_dump and the like).
    /// </summary>
    /// <returns>whether it finished on its own, its exit code, and what it printed on standard error.</returns>
    public static async Task<(bool Finished, int ExitCode, string Errors)> RunAndKillAsync(string workingDirectory, IReadOnlyList<string> args, TimeSpan after, bool entireTree)
    {
        using var process = Start(workingDirectory, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var finished = process.WaitForExit(after);
        if (!finished)
        {
            process.Kill(entireTree);
        }

        await process.WaitForExitAsync();

        // A process killed alone may leave children that still hold its output pipes open for a moment.
        await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(TimeSpan.FromSeconds(30)));
        return (finished, process.ExitCode, stderr.IsCompletedSuccessfully ? stderr.Result : "");
    }
}
