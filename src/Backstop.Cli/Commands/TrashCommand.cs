using System.CommandLine;
using System.Globalization;
using Backstop.Core.Changes;
using Backstop.Core.Configuration;
using Backstop.Core.State;
using Backstop.Core.RecycleBin;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary><c>backstop trash list | restore | purge</c>: the recycle bin of tables that changes dropped.</summary>
internal static class TrashCommand
{
    public static Command Create(CliHost host)
    {
        var command = new Command("trash", "The recycle bin: tables dropped through Backstop, kept with their data, indexes, constraints and triggers");
        command.Add(List(host));
        command.Add(Restore(host));
        command.Add(Purge(host));
        return command;
    }

    private static Command List(CliHost host)
    {
        var environmentOption = EnvironmentOption.Required();
        var command = new Command("list", "List the tables in an environment's recycle bin") { environmentOption };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            await using var target = await context.Connector.OpenAsync(config.Environment(parse.GetValue(environmentOption)!), cancellationToken);
            var items = await TrashBin.ListAsync(target.Connection, cancellationToken);
            if (context.Json)
            {
                context.WriteJson(new { items = items.Select(i => new { id = i.TrashId, table = i.OriginalQualifiedName, trashName = i.TrashName, rows = i.RowEstimate, rowsEstimated = i.RowsEstimated, droppedAt = i.DroppedAt, changeId = i.ChangeId }) });
                return ExitCodes.Done;
            }

            if (items.Count == 0)
            {
                context.Console.WriteLine("The recycle bin is empty.");
                return ExitCodes.Done;
            }

            var table = new Table().AddColumns("Id", "Table", "Rows", "Dropped");
            foreach (var item in items)
            {
                table.AddRow(item.TrashId, Markup.Escape(item.OriginalQualifiedName), (item.RowsEstimated ? "about " : "") + item.RowEstimate.ToString("N0", CultureInfo.InvariantCulture), item.DroppedAt.ToString("u", CultureInfo.InvariantCulture));
            }

            context.Console.Write(table);
            context.Console.MarkupLine("Restore one with `backstop trash restore ID -e ENV`.");
            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Restore(CliHost host)
    {
        var id = new Argument<string>("ID") { Description = "The item, from `backstop trash list`" };
        var environmentOption = EnvironmentOption.Required();
        var yes = new Option<bool>("--yes", "-y") { Description = "Confirm without a prompt where the tier asks for a confirmation (not enough on production: use --confirm NAME)" };
        var confirm = new Option<string?>("--confirm") { Description = "Confirm on production without a prompt by giving the environment's name" };
        var command = new Command("restore", "Put a dropped table back under its name, with the foreign keys that pointed at it; a change of its own, judged by the tier's policy and recorded")
        {
            id, environmentOption, yes, confirm,
        };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var environment = config.Environment(parse.GetValue(environmentOption)!);
            await using var target = await context.Connector.OpenAsync(environment, cancellationToken);
            var trashId = parse.GetValue(id)!;
            var item = (await TrashBin.ListAsync(target.Connection, cancellationToken)).FirstOrDefault(i => i.TrashId == trashId)
                ?? throw new UsageException($"there is no item '{trashId}' in the recycle bin; list them with `backstop trash list -e {environment.Name}`");
            var flags = new GuardedRunFlags(AllowAllRows: false, parse.GetValue(yes), parse.GetValue(confirm), host.Interactive);
            RunResult result;
            try
            {
                result = await GuardedRun.OperationAsync(context, config, target, new TrashRestore([item]), flags, undoOf: null, cancellationToken);
            }
            catch (RecycleBinException e)
            {
                throw new UsageException(e.Message);
            }

            if (result.Outcome != ChangeOutcome.Committed)
            {
                return GuardedRun.ExitCode(result.Outcome);
            }

            if (context.Json)
            {
                context.WriteJson(new { id = trashId, table = item.OriginalQualifiedName, restored = true, changeId = result.ChangeId, warnings = result.Warnings });
            }
            else
            {
                context.Console.MarkupLineInterpolated($"Restored [bold]{item.OriginalQualifiedName}[/] (change {result.ChangeId}).");
            }

            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Purge(CliHost host)
    {
        var environmentOption = EnvironmentOption.Required();
        var olderThan = new Option<string>("--older-than") { Description = "Only items dropped longer ago than this (e.g. 7d, 12h; default 30d)", DefaultValueFactory = _ => "30d" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Confirm without a prompt (not enough on production: use --confirm NAME)" };
        var confirm = new Option<string?>("--confirm") { Description = "Confirm on production without a prompt by giving the environment's name" };
        var command = new Command("purge", "Drop for good the tables that have been in the recycle bin longer than --older-than; a change of its own, always confirmed, and recorded")
        {
            environmentOption, olderThan, yes, confirm,
        };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var text = parse.GetValue(olderThan)!;
            if (!TryParseAge(text, out var age))
            {
                throw new UsageException($"--older-than '{text}' is not a duration; use e.g. 7d, 12h, 30m or 0s");
            }

            var config = context.LoadConfig();
            var environment = config.Environment(parse.GetValue(environmentOption)!);
            await using var target = await context.Connector.OpenAsync(environment, cancellationToken);
            var due = await TrashBin.ListAsync(target.Connection, cancellationToken, age);
            if (due.Count == 0)
            {
                context.Console.WriteLine("Nothing in the recycle bin is that old.");
                if (context.Json)
                {
                    context.WriteJson(new { purged = Array.Empty<string>(), bytesFreed = 0 });
                }

                return ExitCodes.Done;
            }

            context.Console.MarkupLineInterpolated($"Purging drops for good: {string.Join(", ", due.Select(i => i.OriginalQualifiedName))}");
            var purge = new TrashPurge(due);
            var flags = new GuardedRunFlags(AllowAllRows: false, parse.GetValue(yes), parse.GetValue(confirm), host.Interactive);
            var result = await GuardedRun.OperationAsync(context, config, target, purge, flags, undoOf: null, cancellationToken);
            if (result.Outcome != ChangeOutcome.Committed)
            {
                return GuardedRun.ExitCode(result.Outcome);
            }

            var (purged, bytes) = purge.Result;
            if (context.Json)
            {
                context.WriteJson(new { purged = purged.Select(i => i.TrashId), bytesFreed = bytes, changeId = result.ChangeId });
            }
            else
            {
                context.Console.MarkupLineInterpolated($"Purged {purged.Count} tables, freeing {bytes / 1024.0 / 1024.0:N1} MiB (change {result.ChangeId}).");
            }

            return ExitCodes.Done;
        });
        return command;
    }

    private static bool TryParseAge(string text, out TimeSpan age)
    {
        if (text is "0" or "0s")
        {
            age = TimeSpan.Zero;
            return true;
        }

        return Durations.TryParse(text, out age);
    }
}
