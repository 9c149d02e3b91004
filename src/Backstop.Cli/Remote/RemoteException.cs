namespace Backstop.Cli.Remote;

/// <summary>The server refused or failed a call: its message and the exit code it carries, as the command would exit locally.</summary>
internal sealed class RemoteException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
