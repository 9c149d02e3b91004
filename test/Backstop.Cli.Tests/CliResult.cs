namespace Backstop.Cli.Tests;

internal sealed record CliResult(int ExitCode, string Out, string Error)
{
    public string All => Out + Error;

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}
