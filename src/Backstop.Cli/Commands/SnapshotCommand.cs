using System.CommandLine;

namespace Backstop.Cli.Commands;

/// <summary><c>backstop snapshot create | list | load</c>: anonymized, referentially intact copies of production, proven by a drill and a leak scan (docs/snapshots.md).</summary>
internal static class SnapshotCommand
{
    public static Command Create(CliHost host)
    {
        var command = new Command("snapshot", "Anonymized, referentially intact snapshots of an environment, proven by a restore drill and a leak scan");
        command.Add(SnapshotCreateCommand.Create(host));
        command.Add(SnapshotListCommand.Create(host));
        command.Add(SnapshotLoadCommand.Create(host));
        return command;
    }
}
