using System.CommandLine;
using Backstop.Cli.Rendering;
using Backstop.Recovery.Pitr;
using Backstop.Recovery.Pitr.RecoverDatabase;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>
/// <c>backstop recover-database -e ENV</c>: the wrong-terminal incident. Puts the environment's dropped database back
/// under its old name, as it was just before the DROP DATABASE, from point-in-time recovery (docs/pitr.md).
/// </summary>
internal static class RecoverDatabaseCommand
{
    public static Command Create(CliHost host)
    {
        var environmentOption = EnvironmentOption.Required();
        var since = new Option<string?>("--since") { Description = "Look for the DROP DATABASE back to this time only (default: as far as the archived WAL goes)" };
        var oid = new Option<uint?>("--oid") { Description = "The dropped database's OID, when the environment's recorded identity has none" };
        var name = new Option<string?>("--name") { Description = "A name for the point-in-time clone's sandbox (default: pitr-ENV-…)" };
        var keepClone = new Option<bool>("--keep-clone") { Description = "Leave the clone running afterwards (stop it with `backstop sandbox stop NAME`)" };
        var jobs = new Option<int?>("--jobs") { Description = "Parallel pg_dump and pg_restore jobs (default: the environment's backup.jobs)" };
        var command = new Command(
            "recover-database",
            "Put the environment's dropped database back under its name, as it was just before DROP DATABASE: found in the WAL, cloned to that point, checked, copied back and compared")
        {
            environmentOption, since, oid, name, keepClone, jobs,
        };
        PitrCommand.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var environment = config.Environment(parse.GetValue(environmentOption)!);
            var options = new RecoverDatabaseOptions
            {
                Since = parse.GetValue(since),
                DatabaseOid = parse.GetValue(oid),
                CloneName = parse.GetValue(name),
                KeepClone = parse.GetValue(keepClone),
                Jobs = parse.GetValue(jobs) ?? environment.Backup.Jobs,
            };
            var changes = new List<string>();
            var result = await new DatabaseRecovery(config, context.Connector).RecoverAsync(
                environment,
                options,
                line =>
                {
                    changes.Add(line);
                    context.Console.MarkupLineInterpolated($"[green]changed:[/] {line}");
                },
                PitrCommand.Steps(context),
                cancellationToken);
            var drop = result.Drop;
            if (context.Json)
            {
                context.WriteJson(new
                {
                    environment = result.Environment,
                    database = result.Database,
                    oid = result.NewOid,
                    previousOid = drop.DatabaseOid,
                    drop = new
                    {
                        lsn = drop.DropLsn.ToString(), transactionId = drop.TransactionId, commitLsn = drop.CommitLsn?.ToString(), commitTime = drop.CommitTime,
                        recoveryLsn = drop.RecoveryLsn.ToString(), markedInvalidLsn = drop.MarkedInvalidLsn?.ToString(),
                        lastCommitLsn = drop.LastCommitLsn?.ToString(), lastCommitTime = drop.LastCommitTime,
                    },
                    searched = result.Searched.ToString(),
                    clone = new { name = result.FromClone.Name, kept = result.CloneKept, url = result.CloneKept ? result.FromClone.Url : null, backup = result.FromClone.Backup },
                    tables = result.Tables.Select(t => new { table = t.QualifiedName, rows = t.Rows, hash = t.Hash }),
                    rows = result.Rows,
                    durations = result.Durations,
                    changes,
                });
                return ExitCodes.Done;
            }

            var committed = drop.CommitTime is { } at ? $", committed at {RecoveryTarget.Display(at)}" : "";
            var summary = $"{Humanize.Count(result.Tables.Count)} tables, {Humanize.Count(result.Rows)} rows, each table equal to the clone's in rows and content";
            context.Console.MarkupLineInterpolated(
                $"[green]Database '{result.Database}' of {result.Environment} is back[/] as it was just before the DROP DATABASE (transaction {drop.TransactionId} at WAL location {drop.DropLsn}{committed}): {summary}.");
            if (drop.LastCommitTime is { } last)
            {
                context.Console.MarkupLineInterpolated($"The last transaction that changed it before the drop committed at {RecoveryTarget.Display(last)} (WAL location {drop.LastCommitLsn}); it is in.");
            }

            var total = result.Durations.Values.Sum();
            context.Console.MarkupLineInterpolated($"Steps: {string.Join(", ", result.Durations.Select(d => $"{d.Key} {d.Value:0.0} s"))}; {total:0.0} s in all.");
            if (result.CloneKept)
            {
                context.Console.MarkupLineInterpolated($"The clone {result.FromClone.Name} is still running at {result.FromClone.Url}; stop it with `backstop sandbox stop {result.FromClone.Name}`.");
            }

            return ExitCodes.Done;
        });
        return command;
    }
}
