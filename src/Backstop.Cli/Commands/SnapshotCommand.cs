using System.CommandLine;

namespace Backstop.Cli.Commands;

/// <summary>
/// <c>backstop snapshot rules | create | list | load | link</c>: anonymized, referentially intact copies of an environment,
/// proven by a restore drill and a leak scan (docs/snapshots.md); each subcommand lives in a file of its own.
/// </summary>
internal static class SnapshotCommand
{
    public static Command Create(CliHost host)
    {
        var command = new Command("snapshot", "Anonymized, referentially intact snapshots of an environment, proven by a restore drill and a leak scan: rules, create, list, load, link");
        command.Add(SnapshotRulesCommand.Create(host));
        command.Add(SnapshotCreateCommand.Create(host));
        command.Add(SnapshotListCommand.Create(host));
        command.Add(SnapshotLoadCommand.Create(host));
        command.Add(SnapshotLinkCommand.Create(host));
        return command;
    }
}
