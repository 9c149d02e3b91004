using Backstop.Server.Services;

namespace Backstop.Cli.Remote;

/// <summary>
/// undo, repair, backup … and trash … through the team server (docs/server.md "Remote mode"): a signed-in CLI sends its
/// arguments, the server runs the very same command with its own configuration and credentials and the signed-in
/// person as the actor, and the CLI prints what it printed and exits as it exited.
/// </summary>
internal sealed class RemoteCommands(Func<CliHost, CliHost>? adapt = null) : ICommandRunner
{
    /// <returns>the exit code when the command went to the server; null when it runs here.</returns>
    public static async Task<int?> ForwardAsync(string[] args, CliHost host, CancellationToken cancellationToken)
    {
        var verb = args.FirstOrDefault(a => !a.StartsWith('-'));
        if (verb is null || !CommandService.Verbs.Contains(verb) || args.Any(a => a is "--local" or "--config" or "-h" or "--help" or "-?" || a.StartsWith("--config=", StringComparison.Ordinal)))
        {
            return null;
        }

        if (Credentials.Load(host) is not { } credentials)
        {
            return null;
        }

        // Global options may come before the verb; the server wants the verb first.
        var forwarded = args.SkipWhile(a => a != verb).Concat(args.TakeWhile(a => a != verb)).ToList();
        string? sarifFile = null;
        if (verb == "review")
        {
            // The server reads and writes no file of the caller's: the migration goes as text, the SARIF log comes back.
            try
            {
                (forwarded, sarifFile) = await ReviewArgumentsAsync(forwarded, host, cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or UsageException)
            {
                await host.Error.WriteLineAsync("error: " + e.Message);
                return 2;
            }
        }

        using var client = ServerClient.For(credentials);
        try
        {
            var result = await client.PostAsync<CommandResult>("commands", new CommandRequest(forwarded), cancellationToken);
            if (sarifFile is not null && result.ExitCode is 0 or 1)
            {
                await File.WriteAllTextAsync(sarifFile, result.Stdout, cancellationToken);
            }
            else
            {
                await host.Out.WriteAsync(result.Stdout);
            }

            await host.Error.WriteAsync(result.Stderr);
            return result.ExitCode;
        }
        catch (RemoteException e)
        {
            await host.Error.WriteLineAsync("error: " + e.Message);
            return e.ExitCode;
        }
    }

    /// <summary>review's -f FILE becomes -c with the file's text; --sarif FILE becomes --sarif - and the file is written here.</summary>
    private static async Task<(List<string> Args, string? SarifFile)> ReviewArgumentsAsync(List<string> args, CliHost host, CancellationToken cancellationToken)
    {
        var result = new List<string>();
        string? sarifFile = null;
        for (var i = 0; i < args.Count; i++)
        {
            var (name, value, next) = Split(args, i);
            if (name is "-f" or "--file" && value is not null)
            {
                result.Add("-c");
                result.Add(await File.ReadAllTextAsync(Path.GetFullPath(value, host.WorkingDirectory), cancellationToken));
                i = next;
            }
            else if (name == "--sarif" && value is not null && value != "-")
            {
                if (args.Contains("--json"))
                {
                    throw new UsageException("through the server, --sarif FILE and --json both come back on standard output; run one, then the other");
                }

                sarifFile = Path.GetFullPath(value, host.WorkingDirectory);
                result.Add("--sarif");
                result.Add("-");
                i = next;
            }
            else
            {
                result.Add(args[i]);
            }
        }

        return (result, sarifFile);

        static (string Name, string? Value, int Next) Split(List<string> args, int i)
        {
            var a = args[i];
            var equals = a.IndexOf('=', StringComparison.Ordinal);
            if (a.StartsWith("--", StringComparison.Ordinal) && equals > 0)
            {
                return (a[..equals], a[(equals + 1)..], i);
            }

            return (a, i + 1 < args.Count ? args[i + 1] : null, i + 1);
        }
    }

    /// <summary>The server's side: the command in this process, its output captured, the person as the actor.</summary>
    public async Task<CommandResult> RunAsync(IReadOnlyList<string> args, string actor, CancellationToken cancellationToken)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var host = new CliHost
        {
            Out = output,
            Error = error,
            In = new StringReader(""),
            Interactive = false,
            WorkingDirectory = Directory.GetCurrentDirectory(),
            Variables = Environment.GetEnvironmentVariable,
            Actor = actor,
            AuditedByServer = true,
        };
        var exitCode = await BackstopApp.RunAsync([.. args], adapt is null ? host : adapt(host), cancellationToken);
        return new CommandResult(exitCode, output.ToString(), error.ToString());
    }
}
