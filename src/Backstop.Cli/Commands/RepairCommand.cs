using System.CommandLine;
using Backstop.Recovery.Repair;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>
/// <c>backstop repair</c>: put back only the rows and columns a mistake changed, from a clone or a backup, as a guarded
/// change (preview, policy, confirmation, capture, undo) while the database keeps running.
/// </summary>
internal static class RepairCommand
{
    public static Command Create(CliHost host)
    {
        var environmentOption = EnvironmentOption.Required();
        var table = new Option<string?>("--table") { Description = "The table to repair (name or schema.name)" };
        var root = new Option<string?>("--root")
        {
            Description = "Repair the rows of this table that --where names and every row their foreign keys reached (ON DELETE CASCADE, SET NULL, SET DEFAULT), all tables in one change, parents first",
        };
        var from = new Option<string?>("--from") { Description = "Where the right values are: a postgresql:// URL or env:VARIABLE holding one (a clone), an environment's name, backup:ID, or pitr:TIME (a point-in-time clone made for the occasion)" };
        var after = new Option<string?>("--after") { Description = "Three-way: a state just after the mistake (URL, backup:ID or pitr:TIME); only rows the mistake changed are repaired, later writes are kept" };
        var incidentAt = new Option<string?>("--incident-at")
        {
            Description = "About when the mistake ran: Backstop finds its transaction in the WAL and clones the environment just before and just after its commit",
        };
        var window = new Option<string?>("--incident-window")
        {
            Description = "With --incident-at, instead of looking in the WAL: the mistake committed within this long after the time (e.g. 10s); writes in that window count as the mistake's",
        };
        var columns = new Option<string?>("--columns") { Description = "Only these columns, comma-separated (default: every column but the key)" };
        var where = new Option<string?>("--where") { Description = "Only rows matching this SQL condition, on every side" };
        var key = new Option<string?>("--key") { Description = "Columns that identify a row, comma-separated (default: the primary key)" };
        var restoreMissing = new Option<bool>("--restore-missing") { Description = "Re-insert rows the target lacks, with the same keys" };
        var deleteExtra = new Option<bool>("--delete-extra") { Description = "Delete rows that exist only in the target" };
        var overwrite = new Option<bool>("--overwrite-conflicts") { Description = "Three-way: repair rows that changed again after the mistake too" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Compare and show what would be repaired; change nothing" };
        var batchRows = new Option<int>("--batch-rows")
        {
            Description = "Apply in batches of at most N rows of each kind, each a change of its own that commits before the next starts, so row locks are held for one batch only (each batch is undone on its own); default: one change",
        };
        var keepSources = new Option<bool>("--keep-sources") { Description = "Leave the clones and sandboxes made for the repair running" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Confirm without a prompt (not enough on production: use --confirm NAME)" };
        var confirm = new Option<string?>("--confirm") { Description = "Confirm on production without a prompt by giving the environment's name" };
        var command = new Command("repair", "Put back the rows and columns a mistake changed, from a clone or a backup, as a guarded change that can be undone")
        {
            environmentOption, table, root, from, after, incidentAt, window, columns, where, key, restoreMissing, deleteExtra, overwrite, dryRun, batchRows, keepSources, yes, confirm,
        };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var request = new RepairRequest
            {
                Config = config,
                Environment = config.Environment(parse.GetValue(environmentOption)!),
                Table = parse.GetValue(table),
                Root = parse.GetValue(root),
                From = parse.GetValue(from),
                After = parse.GetValue(after),
                IncidentAt = parse.GetValue(incidentAt),
                IncidentWindow = parse.GetValue(window),
                Columns = List(parse.GetValue(columns)),
                Key = List(parse.GetValue(key)),
                Options = new RepairOptions
                {
                    RestoreMissing = parse.GetValue(restoreMissing),
                    DeleteExtra = parse.GetValue(deleteExtra),
                    OverwriteConflicts = parse.GetValue(overwrite),
                    Where = parse.GetValue(where),
                },
                BatchRows = parse.GetValue(batchRows),
                KeepSources = parse.GetValue(keepSources),
            };
            var progress = new Progress<string>(step => context.ErrorConsole.MarkupLineInterpolated($"[grey]{step}…[/]"));
            await using var comparison = await new RepairService(context.Connector, host.Variables, host.Clock).CompareAsync(request, progress, cancellationToken);
            var summary = RepairView.Summary(comparison);
            if (!context.Json)
            {
                RepairView.Show(context.Console, comparison);
            }

            if (comparison.Plans.Any(p => p.AfterShowsNoMistake))
            {
                context.ErrorConsole.MarkupLine("[yellow]warning:[/] the state \"after\" the mistake equals the source wherever the target differs: it may have been taken before the mistake committed. Give a later --after (or a longer --incident-window); nothing was repaired.");
            }

            if (comparison.IsEmpty || parse.GetValue(dryRun))
            {
                if (context.Json)
                {
                    context.WriteJson(new { repair = summary, change = (object?)null });
                }
                if (!comparison.IsEmpty)
                {
                    return ExitCodes.Done;
                }

                // A repair that finds nothing has not found the mistake: a script or a person waiting for "repaired" must not read success.
                var compared = comparison.Plans.Sum(p => p.SourceRows);
                if (comparison.Plans.Any(p => p.AfterShowsNoMistake))
                {
                    context.ErrorConsole.MarkupLine("[red]error:[/] nothing to repair: the state after the mistake shows no change where the target differs, so the mistake is not between the two states compared");
                }
                else
                {
                    context.ErrorConsole.MarkupLineInterpolated(
                        $"[red]error:[/] nothing to repair: the target holds the source's values in every row compared ({compared:N0} source rows); the mistake is not in these rows, or was repaired already");
                }

                return ExitCodes.RuntimeError;
            }

            var prepared = await comparison.PrepareAsync(cancellationToken);
            var flags = new GuardedRunFlags(AllowAllRows: false, parse.GetValue(yes), parse.GetValue(confirm), host.Interactive);
            if (prepared.Batches.Count == 1)
            {
                return await RepairBatchRun.RunAsync(
                    context, config, comparison, prepared.Batches[0], flags, cancellationToken,
                    wrapJson: change => new { repair = summary, loadSeconds = Math.Round(prepared.Loaded.TotalSeconds, 3), change });
            }

            return await RepairBatchRun.RunAllAsync(context, config, comparison, prepared, flags, summary, cancellationToken);
        });
        return command;
    }

    private static List<string>? List(string? text) =>
        text?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
