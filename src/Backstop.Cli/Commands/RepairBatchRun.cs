using Backstop.Core.Changes;
using Backstop.Core.Configuration;
using Backstop.Recovery.Repair;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>
/// The prepared batches of a repair, each run as a guarded change through <see cref="GuardedRun"/> (preview on screen,
/// policy, confirmation, capture), and the report of how far they got.
/// </summary>
internal static class RepairBatchRun
{
    /// <summary>
    /// Runs each batch as a guarded change of its own, in order, and stops at the first that does not commit. The first
    /// is confirmed as the user said; the ones after it carry that confirmation (each is still previewed, judged by the
    /// policy and captured).
    /// </summary>
    public static async Task<int> RunAllAsync(
        CommandContext context, BackstopConfig config, RepairComparison comparison, PreparedRepair prepared, GuardedRunFlags flags, object summary, CancellationToken cancellationToken)
    {
        var scripts = prepared.Batches;
        var changes = new List<object>();
        var committed = new List<long>();
        var exitCode = ExitCodes.Done;
        for (var batch = 0; batch < scripts.Count; batch++)
        {
            context.ErrorConsole.MarkupLineInterpolated($"[grey]Batch {batch + 1} of {scripts.Count}…[/]");
            var batchFlags = batch == 0 ? flags : flags with { Yes = true, ConfirmName = comparison.Target.Environment.Name };
            try
            {
                exitCode = await RunAsync(
                    context, config, comparison, scripts[batch], batchFlags, cancellationToken, jsonSink: changes.Add,
                    ran: result =>
                    {
                        if (result.Outcome == Core.State.ChangeOutcome.Committed)
                        {
                            committed.Add(result.ChangeId);
                        }
                    });
            }
            catch (RepairTargetChangedException e) when (batch > 0)
            {
                // Its preview fell short: this batch was not applied, the ones before it were.
                context.ErrorConsole.MarkupLineInterpolated($"[red]error:[/] batch {batch + 1} of {scripts.Count}: {e.Message.Replace("nothing was repaired", "this batch was not applied", StringComparison.Ordinal)}");
                changes.Add(new { batch = batch + 1, error = e.Message, exitCode = ExitCodes.RuntimeError });
                exitCode = ExitCodes.RuntimeError;
            }

            if (exitCode != ExitCodes.Done)
            {
                if (batch > 0)
                {
                    context.ErrorConsole.MarkupLineInterpolated(
                        $"[yellow]Batch {batch + 1} of {scripts.Count} did not commit; batches 1 to {batch} did and stay. Run the same repair again to compare afresh and finish it.[/]");
                }

                break;
            }
        }

        // Each batch is a change of its own: the whole repair is taken back by undoing them, newest first.
        var undo = committed.Count == 0 ? null : string.Join(" && ", committed.AsEnumerable().Reverse().Select(id => $"backstop undo {id.ToString(System.Globalization.CultureInfo.InvariantCulture)}"));
        if (context.Json)
        {
            context.WriteJson(new { repair = summary, loadSeconds = Math.Round(prepared.Loaded.TotalSeconds, 3), batches = scripts.Count, changes, undo });
        }
        else if (undo is not null)
        {
            context.Console.MarkupLineInterpolated($"{committed.Count} of {scripts.Count} batches committed. To take {(committed.Count == scripts.Count ? "the whole repair" : "them")} back: [bold]{undo}[/]");
        }

        return exitCode;
    }

    /// <summary>
    /// One batch as a guarded change, held to the rows it planned. Its preview is the comparison's count where the
    /// catalog vouches for it, and the run that falls short (a row written since the comparison) rolls back; where a
    /// dry run previews it, a dry run that falls short stops it before anything is recorded or confirmed.
    /// </summary>
    public static Task<int> RunAsync(
        CommandContext context, BackstopConfig config, RepairComparison comparison, RepairBatch batch, GuardedRunFlags flags, CancellationToken cancellationToken,
        Func<object, object>? wrapJson = null, Action<object>? jsonSink = null, Action<RunResult>? ran = null) =>
        GuardedRun.ExecuteAsync(
            context, config, comparison.Target,
            new ChangeRequest
            {
                Script = batch.Script,
                Actor = context.Host.Actor,
                Recovery = comparison.Recovery,
                PreviewChecks = [new PreviewCheck((preview, _) => RepairScript.Mismatch(batch, preview.Impacts) is { } reason ? throw new RepairTargetChangedException(reason) : Task.CompletedTask)],
                RunChecks = [new RunCheck(impacts => RepairScript.Mismatch(batch, impacts))],
                CountedImpact = ct => comparison.CountedImpactAsync(batch, ct),
            },
            flags, cancellationToken, new GuardedRun.Output(wrapJson, jsonSink, ran));
}
