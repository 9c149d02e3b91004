using Backstop.Cli.Rendering;
using Backstop.Core.Changes;
using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Core.State;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>
/// The part of <c>run</c> that <c>undo</c> shares: the guarded pipeline with its preview on screen, the confirmation
/// the verdict asks for, the report, and the exit code.
/// </summary>
internal static class GuardedRun
{
    public static async Task<int> ExecuteAsync(
        CommandContext context, BackstopConfig config, ConnectedEnvironment target, string script, IReadOnlyList<AnalyzedStatement> statements,
        GuardedRunFlags flags, ChangeRecord? undoOf, CancellationToken cancellationToken, IReadOnlyDictionary<string, (long Updated, long Deleted)>? undoBounds = null,
        Func<object, object>? wrapJson = null, Func<CheckResult, CancellationToken, Task>? afterPreview = null, Action<object>? jsonSink = null,
        Func<IReadOnlyList<Core.Preview.StatementImpact>, string?>? checkRun = null,
        Func<CancellationToken, Task<IReadOnlyList<Core.Preview.StatementImpact>?>>? countedImpact = null, Action<RunResult>? ran = null)
    {
        var environment = target.Environment;
        var store = await context.OpenStoreAsync(config, cancellationToken);
        var pipeline = new ChangePipeline(target, config.Policies[environment.Tier], context.Host.Clock)
        {
            ProvenBackups = await BackupCommand.ProvenBackupsAsync(context, config, target.Identity, statements, cancellationToken),
        };
        var options = new RunOptions
        {
            AllowAllRows = flags.AllowAllRows,
            UndoOf = undoOf,
            UndoBounds = undoBounds,
            AfterPreview = afterPreview,
            CheckRun = checkRun,
            CountedImpact = countedImpact,
            Previewed = preview =>
            {
                if (!context.Json)
                {
                    ImpactView.Statements(context.Console, preview.Statements, preview.Impacts, preview.Decision);
                    ImpactView.Summary(context.Console, preview.Decision, preview.Impacts.Sum(i => i.Changed));
                }
            },
            Confirm = (_, ct) => ConfirmAsync(context, environment, flags.Yes, flags.ConfirmName, flags.Interactive, ct),
        };
        var result = await PreviewSpinner.RunAsync(context, statements.Count, progress => pipeline.RunAsync(script, statements, options, store, progress, cancellationToken));
        Report(context, environment, result, config, wrapJson, jsonSink);
        ran?.Invoke(result);
        return result.Outcome switch
        {
            ChangeOutcome.Committed => ExitCodes.Done,
            ChangeOutcome.Denied => ExitCodes.Denied,
            ChangeOutcome.Failed => ExitCodes.RuntimeError,
            _ => ExitCodes.NeedsConfirmation,
        };
    }

    internal static async Task<bool> ConfirmAsync(CommandContext context, EnvironmentConfig environment, bool yes, string? confirmName, bool interactive, CancellationToken cancellationToken)
    {
        if (environment.Tier == Tier.Production)
        {
            if (confirmName is not null)
            {
                if (string.Equals(confirmName, environment.Name, StringComparison.Ordinal))
                {
                    return true;
                }

                context.Refusal = $"--confirm '{confirmName}' does not match the environment's name '{environment.Name}'; nothing was changed";
                context.ErrorConsole.MarkupLineInterpolated($"[red]--confirm '{confirmName}' does not match the environment's name '{environment.Name}'.[/]");
                return false;
            }

            if (!interactive)
            {
                context.Refusal = $"this production change needs a typed confirmation; re-run with --confirm {environment.Name}";
                context.ErrorConsole.MarkupLineInterpolated($"This production change needs a typed confirmation; re-run with --confirm {environment.Name}.");
                return false;
            }

            context.ErrorConsole.MarkupInterpolated($"Type the environment's name ([bold]{environment.Name}[/]) to run this change on production: ");
            var typed = await context.Host.In.ReadLineAsync(cancellationToken);
            return string.Equals(typed?.Trim(), environment.Name, StringComparison.Ordinal);
        }

        if (yes)
        {
            return true;
        }

        if (!interactive)
        {
            context.Refusal = "this change needs confirmation; re-run with --yes";
            context.ErrorConsole.MarkupLine("This change needs confirmation; re-run with --yes.");
            return false;
        }

        context.ErrorConsole.Markup($"Run this change on [bold]{Markup.Escape(environment.Name)}[/]? [[y/N]] ");
        var answer = (await context.Host.In.ReadLineAsync(cancellationToken))?.Trim();
        return answer is not null && (answer.Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Equals("yes", StringComparison.OrdinalIgnoreCase));
    }

    /// <param name="jsonSink">with --json: receives the change's JSON instead of its being written (a caller that writes one document for several changes).</param>
    private static void Report(CommandContext context, EnvironmentConfig environment, RunResult result, BackstopConfig config, Func<object, object>? wrapJson, Action<object>? jsonSink)
    {
        if (context.Json)
        {
            var json = ChangeJson.Run(environment, result);
            if (jsonSink is not null)
            {
                jsonSink(json);
            }
            else
            {
                context.WriteJson(wrapJson is null ? json : wrapJson(json));
            }

            return;
        }

        var console = context.Console;
        switch (result.Outcome)
        {
            case ChangeOutcome.Committed:
                console.MarkupLineInterpolated($"[green]Committed[/] change [bold]{result.ChangeId}[/]: {result.RunImpacts!.Sum(i => i.Changed):N0} rows changed.");
                if (result.Message is not null)
                {
                    context.ErrorConsole.MarkupLineInterpolated($"[yellow]warning:[/] {result.Message}");
                }

                break;
            case ChangeOutcome.Denied:
                console.MarkupLineInterpolated($"[red]Denied by the {environment.Tier.ToString().ToLowerInvariant()} policy; nothing was changed[/] (change {result.ChangeId}).");
                break;
            case ChangeOutcome.NeedsApproval:
                console.MarkupLineInterpolated(
                    $"[darkorange]Needs a second person's approval; nothing was changed[/] (change {result.ChangeId}). Approvals come with team mode; until then the policy can be changed under policies.{environment.Tier.ToString().ToLowerInvariant()} in {config.Path}.");
                break;
            case ChangeOutcome.ImpactChanged:
                console.MarkupLineInterpolated($"[red]The impact changed between the preview and the run; rolled back, nothing was changed[/] (change {result.ChangeId}):");
                foreach (var difference in result.Differences)
                {
                    console.MarkupLineInterpolated($"  - {difference}");
                }

                console.MarkupLine("Preview it again with `backstop check` and run it again if it is still what you want.");
                break;
            case ChangeOutcome.Failed:
                context.ErrorConsole.MarkupLineInterpolated($"[red]error:[/] {result.Message} (change {result.ChangeId})");
                break;
            default:
                console.MarkupLineInterpolated($"[yellow]Not confirmed; nothing was changed[/] (change {result.ChangeId}).");
                break;
        }
    }
}
