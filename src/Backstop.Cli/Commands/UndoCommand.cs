using System.CommandLine;
using Backstop.Core.Changes;
using Backstop.Core.Environments;
using Backstop.Core.State;
using Backstop.Core.Undo;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>
/// <c>backstop undo ID</c>: takes a recorded change back from its before-images, as a guarded change of its own
/// (same preview, policy, confirmation and capture), leaving alone rows that changed since.
/// </summary>
internal static class UndoCommand
{
    public static Command Create(CliHost host)
    {
        var id = new Argument<long>("ID") { Description = "The change to take back, from `backstop changes`" };
        var environmentOption = EnvironmentOption.Optional();
        var skipConflicts = new Option<bool>("--skip-conflicts") { Description = "Restore every row that did not change since, and leave the later writes in place" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Confirm without a prompt (not enough on production: use --confirm NAME)" };
        var confirm = new Option<string?>("--confirm") { Description = "Confirm on production without a prompt by giving the environment's name" };
        var command = new Command("undo", "Take back a recorded change: re-insert deleted rows, revert updated rows, delete inserted rows")
        {
            id, environmentOption, skipConflicts, yes, confirm,
        };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var store = await context.OpenStoreAsync(config, cancellationToken);
            var change = await FindUndoableAsync(store, parse.GetValue(id), parse.GetValue(environmentOption), cancellationToken);
            var environment = config.Environment(change.Environment);
            await using var target = await context.Connector.OpenAsync(environment, cancellationToken);
            if (target.Identity.SystemIdentifier != change.SystemIdentifier || target.Identity.Database != change.Database)
            {
                throw new TargetMismatchException(
                    $"change {change.Id} was made on cluster {change.SystemIdentifier}, database '{change.Database}', but environment '{environment.Name}' now reaches cluster {target.Identity.SystemIdentifier}, database '{target.Identity.Database}'; nothing was changed");
            }

            var plan = await UndoPlanner.PlanAsync(target.Connection, change.ChangeUuid, change.Id, cancellationToken);
            var binned = (await Core.RecycleBin.TrashBin.ListAsync(target.Connection, cancellationToken)).Where(i => i.ChangeId == change.ChangeUuid).ToList();
            if (plan.IsEmpty && binned.Count > 0)
            {
                // The change dropped tables: they are in the recycle bin, whole, and go back under their names, as a change
                // of its own (judged, confirmed as the tier asks, recorded as the undo of the change).
                context.Console.MarkupLineInterpolated($"Undo of change {change.Id} restores from the recycle bin: {string.Join(", ", binned.Select(i => i.OriginalQualifiedName))}");
                var binFlags = new GuardedRunFlags(AllowAllRows: false, parse.GetValue(yes), parse.GetValue(confirm), host.Interactive);
                var restored = await GuardedRun.OperationAsync(context, config, target, new Core.RecycleBin.TrashRestore(binned), binFlags, change, cancellationToken);
                if (restored.Outcome != ChangeOutcome.Committed)
                {
                    return GuardedRun.ExitCode(restored.Outcome);
                }

                foreach (var item in binned)
                {
                    context.Console.MarkupLineInterpolated($"Restored {item.OriginalQualifiedName} from the recycle bin.");
                }

                if (context.Json)
                {
                    context.WriteJson(new { changeId = restored.ChangeId, undoOf = change.Id, outcome = "restored", tables = binned.Select(i => i.OriginalQualifiedName) });
                }

                return ExitCodes.Done;
            }

            if (binned.Count > 0)
            {
                throw new UsageException(
                    $"change {change.Id} both changed rows and dropped tables ({string.Join(", ", binned.Select(i => i.OriginalQualifiedName))}); restore the tables first with `backstop trash restore ID -e {environment.Name}`, then undo the rows");
            }

            if (plan.IsEmpty)
            {
                if (plan.Conflicts.Count > 0 && !parse.GetValue(skipConflicts))
                {
                    ReportConflicts(context, change, plan.Conflicts);
                    return ExitCodes.Conflicts;
                }

                context.Console.MarkupLineInterpolated($"Change {change.Id} changed no rows: nothing to undo.");
                if (context.Json)
                {
                    context.WriteJson(new { changeId = (long?)null, undoOf = change.Id, outcome = "nothingToUndo", message = $"change {change.Id} changed no rows: nothing to undo" });
                }

                return ExitCodes.Done;
            }

            // Rows changed since are the rows the undo's statements skip: when its preview matches every planned row there
            // are none; otherwise they are listed, and the undo stops unless told to skip them. A row written between the
            // preview and the run changes the run's impact, and the run rolls back.
            async Task StopOnConflictsAsync(CheckResult preview, CancellationToken ct)
            {
                if (UndoPlanner.MatchedAsPlanned(plan, preview.Impacts))
                {
                    return;
                }

                var conflicts = await UndoPlanner.FindConflictsAsync(target.Connection, plan, ct);
                if (conflicts.Count > 0 && !parse.GetValue(skipConflicts))
                {
                    throw new ConflictsFoundException(conflicts);
                }

                if (conflicts.Count > 0)
                {
                    context.ErrorConsole.MarkupLineInterpolated($"[yellow]Skipping {Rendering.Humanize.Count(conflicts.Count)}{(conflicts.Count >= 1000 ? " or more" : "")} conflicting rows[/] (changed after change {change.Id}); restoring the rest.");
                }
            }

            var statements = ScriptAnalyzer.Analyze(plan.Script);
            var flags = new GuardedRunFlags(AllowAllRows: false, parse.GetValue(yes), parse.GetValue(confirm), host.Interactive);
            try
            {
                var request = new ChangeRequest
                {
                    Script = plan.Script,
                    Statements = statements,
                    Actor = context.Host.Actor,
                    UndoOf = change,
                    PreviewChecks = [new PreviewCheck(StopOnConflictsAsync)],
                    RunChecks = [new UndoBoundsCheck(plan.Bounds)],
                };
                return await GuardedRun.ExecuteAsync(context, config, target, request, flags, cancellationToken);
            }
            catch (ConflictsFoundException e)
            {
                ReportConflicts(context, change, e.Conflicts);
                return ExitCodes.Conflicts;
            }
        });
        return command;
    }

    private static async Task<ChangeRecord> FindUndoableAsync(IStateStore store, long id, string? environment, CancellationToken cancellationToken)
    {
        var change = await store.GetAsync(id, cancellationToken);
        if (change is null || (environment is not null && change.Environment != environment))
        {
            throw new UsageException($"there is no change {id}{(environment is null ? "" : $" in environment '{environment}'")}; list them with `backstop changes`");
        }

        if (change.Outcome != ChangeOutcome.Committed)
        {
            throw new UsageException($"change {id} was not committed (its outcome: {change.Outcome}), so there is nothing to undo");
        }

        var later = await store.ListAsync(change.Environment, int.MaxValue, cancellationToken);
        if (later.FirstOrDefault(c => c.UndoOf == id && c.Outcome == ChangeOutcome.Committed) is { } undo)
        {
            throw new UsageException($"change {id} was already undone by change {undo.Id}; to redo it, undo change {undo.Id}");
        }

        return change;
    }

    private static void ReportConflicts(CommandContext context, ChangeRecord change, IReadOnlyList<UndoConflict> conflicts)
    {
        if (context.Json)
        {
            context.WriteJson(new
            {
                changeId = change.Id,
                outcome = "conflicts",
                conflicts = conflicts.Select(c => new { table = c.Table, key = c.Key, reason = c.Reason, current = c.Current }),
            });
        }

        context.ErrorConsole.MarkupLineInterpolated(
            $"[red]{conflicts.Count} rows changed after change {change.Id}[/]; undo stops so that no later write is lost, and nothing was changed:");
        var table = new Table().AddColumns("Table", "Key", "Why", "Now");
        foreach (var conflict in conflicts.Take(20))
        {
            table.AddRow(Markup.Escape(conflict.Table), Markup.Escape(conflict.Key), Markup.Escape(conflict.Reason), Markup.Escape(Shorten(conflict.Current ?? "(no row)")));
        }

        context.ErrorConsole.Write(table);
        if (conflicts.Count > 20)
        {
            context.ErrorConsole.MarkupLineInterpolated($"… and {conflicts.Count - 20} more (--json lists them all).");
        }

        context.ErrorConsole.MarkupLine("To restore every other row and keep the later writes, run it again with --skip-conflicts.");
    }

    /// <summary>Thrown from the preview check to stop the undo before anything is recorded or run.</summary>
    private sealed class ConflictsFoundException(IReadOnlyList<UndoConflict> conflicts) : Exception("rows changed since the change")
    {
        public IReadOnlyList<UndoConflict> Conflicts { get; } = conflicts;
    }

    private static string Shorten(string text) => text.Length > 80 ? text[..80] + "…" : text;
}
