using System.CommandLine;

namespace Backstop.Cli.Commands;

/// <summary><c>backstop snapshot …</c>: anonymized copies of an environment (docs/snapshots.md); each subcommand lives in a file of its own.</summary>
internal static class SnapshotCommand
{
    public static Command Create(CliHost host)
    {
        var command = new Command("snapshot", "Anonymized, referentially intact copies of an environment: masking rules, create, list, load");
        command.Add(SnapshotRulesCommand.Create(host));
        return command;
    }
}
