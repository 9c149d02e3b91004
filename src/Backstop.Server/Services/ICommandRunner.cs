namespace Backstop.Server.Services;

/// <summary>
/// Runs a `backstop` command in the server's process, with the server's configuration and credentials and the
/// signed-in person as the actor, its output captured (docs/server.md "Remote mode"); the CLI that hosts the server
/// provides it.
/// </summary>
public interface ICommandRunner
{
    Task<CommandResult> RunAsync(IReadOnlyList<string> args, string actor, CancellationToken cancellationToken);
}

/// <summary>What a command printed and how it exited, as the CLI on the person's machine shows it.</summary>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr);

/// <summary>A command to run on the server: its arguments as typed after `backstop`.</summary>
public sealed record CommandRequest(IReadOnlyList<string> Args);
