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
        using var client = ServerClient.For(credentials);
        try
        {
            var result = await client.PostAsync<CommandResult>("commands", new CommandRequest(forwarded), cancellationToken);
            await host.Out.WriteAsync(result.Stdout);
            await host.Error.WriteAsync(result.Stderr);
            return result.ExitCode;
        }
        catch (RemoteException e)
        {
            await host.Error.WriteLineAsync("error: " + e.Message);
            return e.ExitCode;
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
