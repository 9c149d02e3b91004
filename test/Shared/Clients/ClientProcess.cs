using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Backstop.Testing.Clients;

/// <summary>Runs a harness program: steps on its standard input, one JSON line each back on its standard output.</summary>
internal static class ClientProcess
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>The clone's top directory (the one with Backstop.slnx), found upwards from the test assembly.</summary>
    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Backstop.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new ClientHarnessException($"no Backstop.slnx above {AppContext.BaseDirectory}");
    }

    /// <summary>A start for <paramref name="program"/> with the PG* variables of the test's environment removed and PGPASSWORD set.</summary>
    public static ProcessStartInfo StartInfo(string program, IEnumerable<string> arguments, string? password, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = Utf8,
            StandardOutputEncoding = Utf8,
            StandardErrorEncoding = Utf8,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // PGSSLMODE, PGHOST and the like would change what node-postgres does behind the test's back.
        foreach (var name in start.Environment.Keys.Where(name => name.StartsWith("PG", StringComparison.Ordinal)).ToArray())
        {
            start.Environment.Remove(name);
        }

        if (password is not null)
        {
            start.Environment["PGPASSWORD"] = password;
        }

        return start;
    }

    /// <summary>Runs a program to its end (javac, npm ci); throws with its output when it fails.</summary>
    public static async Task RunToolAsync(string what, ProcessStartInfo start, TimeSpan timeout)
    {
        using var process = Start(what, start);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeoutSource = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new ClientHarnessException($"{what} did not finish within {timeout}: {await stdout}{await stderr}");
        }

        if (process.ExitCode != 0)
        {
            throw new ClientHarnessException($"{what} failed (exit {process.ExitCode}): {await stdout}{await stderr}");
        }
    }

    public static async Task<IReadOnlyList<ClientResult>> RunAsync(string client, ProcessStartInfo start, IReadOnlyList<ClientStep> steps, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var lines = steps.Select(step => step.ToJson()).ToArray();
        using var process = Start(client, start);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var results = new List<ClientResult>();
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            // Written beside the reading: a long list of steps must not fill the pipe while the answers fill the other.
            var writing = WriteStepsAsync(process.StandardInput, lines, timeoutSource.Token);
            var connected = await process.StandardOutput.ReadLineAsync(timeoutSource.Token)
                ?? throw await FailedAsync(client, process, stderr, "ended before it said whether it connected");
            using (var document = ParseLine(client, connected))
            {
                if (!document.RootElement.TryGetProperty("connected", out var flag) || flag.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    throw new ClientHarnessException($"{client} began with {connected} instead of the connected line; stderr: {await StderrAsync(process, stderr)}");
                }

                if (flag.ValueKind == JsonValueKind.False)
                {
                    await process.WaitForExitAsync(timeoutSource.Token);
                    throw new ClientConnectException(client, ClientResult.Parse(document.RootElement));
                }
            }

            while (await process.StandardOutput.ReadLineAsync(timeoutSource.Token) is { } line)
            {
                using var document = ParseLine(client, line);
                if (document.RootElement.TryGetProperty("harnessError", out var harnessError))
                {
                    throw new ClientHarnessException($"{client} did not understand step {results.Count + 1} ({lines.ElementAtOrDefault(results.Count)}): {harnessError.GetString()}; stderr: {await StderrAsync(process, stderr)}");
                }

                results.Add(ClientResult.Parse(document.RootElement));
            }

            await writing;
            await process.WaitForExitAsync(timeoutSource.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{client} did not finish its {steps.Count} steps within {timeout} ({results.Count} answered: {string.Join("; ", results)}); stderr: {await StderrAsync(process, stderr)}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        if (process.ExitCode != 0 || results.Count != steps.Count)
        {
            throw await FailedAsync(client, process, stderr, $"answered {results.Count} of {steps.Count} steps");
        }

        return results;
    }

    private static Process Start(string what, ProcessStartInfo start)
    {
        try
        {
            return Process.Start(start) ?? throw new ClientHarnessException($"{what} ({start.FileName}) did not start");
        }
        catch (Win32Exception e)
        {
            throw new ClientHarnessException($"{what} could not be started ({start.FileName}: {e.Message}); scripts/prerequisites.sh installs what the client tests need", e);
        }
    }

    private static async Task WriteStepsAsync(StreamWriter input, IReadOnlyList<string> lines, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var line in lines)
            {
                await input.WriteAsync((line + "\n").AsMemory(), cancellationToken);
            }

            await input.FlushAsync(cancellationToken);
            input.Close();
        }
        catch (IOException)
        {
            // The program ended without reading every step; what it printed and its exit code tell why.
        }
    }

    private static JsonDocument ParseLine(string client, string line)
    {
        try
        {
            return JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new ClientHarnessException($"{client} printed a line that is not JSON: {line}", e);
        }
    }

    private static async Task<ClientHarnessException> FailedAsync(string client, Process process, Task<string> stderr, string what)
    {
        var error = await StderrAsync(process, stderr);
        return new ClientHarnessException($"{client} {what} (exit {process.ExitCode}); stderr: {error}");
    }

    /// <summary>The program's standard error: all of it, once the program has ended (by itself within 2 s, or killed).</summary>
    private static async Task<string> StderrAsync(Process process, Task<string> stderr)
    {
        using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
        {
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }

        try
        {
            return (await stderr.WaitAsync(TimeSpan.FromSeconds(5))).Trim();
        }
        catch (TimeoutException)
        {
            return "(not read: a child of the program still holds it open)";
        }
    }
}
