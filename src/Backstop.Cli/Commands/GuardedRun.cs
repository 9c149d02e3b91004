using Backstop.Cli.Rendering;
using Backstop.Core.Changes;
using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Core.Reports;
using Backstop.Core.State;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>
/// The CLI's side of a guarded change (the lifecycle itself is <see cref="ChangeLifecycle"/> in Core): prepare it with
/// a spinner, show the preview, obtain the authorization its verdict needs (a flag or a prompt), execute it, and render
/// the result and its exit code.
/// </summary>
internal static class GuardedRun
{
    /// <summary>Where the result goes besides the screen: a wrapper or a sink for its JSON, and a listener.</summary>
    internal sealed record Output(Func<object, object>? WrapJson = null, Action<object>? JsonSink = null, Action<RunResult>? Ran = null);

    public static async Task<int> ExecuteAsync(
        CommandContext context, BackstopConfig config, ConnectedEnvironment target, ChangeRequest request, GuardedRunFlags flags, CancellationToken cancellationToken, Output? output = null)
    {
        output ??= new Output();
        var environment = target.Environment;
        var lifecycle = await context.LifecycleAsync(config, target, cancellationToken);
        // Analyzed once, here: the spinner needs the count before the lifecycle prepares the statements.
        request = request with { Statements = request.Statements ?? ScriptAnalyzer.Analyze(request.Script) };
        var statementCount = request.Statements.Count;
        var prepared = await PreviewSpinner.RunAsync(context, statementCount, progress => lifecycle.PrepareAsync(request, progress, cancellationToken));
        if (!context.Json)
        {
            ImpactView.Report(context.Console, ChangeReports.Prepared(environment, prepared, null));
        }

        var result = prepared.Requires switch
        {
            Requirement.Refused => ChangeLifecycle.Denied(prepared),
            Requirement.Approval => await lifecycle.SetAsideAsync(prepared, ChangeOutcome.NeedsApproval, CancellationToken.None),
            _ => await AuthorizeAsync(context, prepared.Requires, environment, flags, cancellationToken) is { } authorization
                ? await PreviewSpinner.RunAsync(context, statementCount, progress => lifecycle.ExecuteAsync(prepared, authorization, progress, cancellationToken), "Running")
                : await lifecycle.SetAsideAsync(prepared, ChangeOutcome.NotConfirmed, CancellationToken.None),
        };
        Report(context, environment, result, config, output.WrapJson, output.JsonSink);
        output.Ran?.Invoke(result);
        return ExitCode(result.Outcome);
    }

    /// <summary>
    /// An operation (restore from the recycle bin, purge, backup restore) through the lifecycle: judged, shown, authorized
    /// as its verdict needs, run and recorded. A result other than committed is reported here; a committed one is the
    /// caller's to render (with <see cref="RunResult.Warnings"/>).
    /// </summary>
    internal static async Task<RunResult> OperationAsync(
        CommandContext context, BackstopConfig config, ConnectedEnvironment target, IChangeOperation operation, GuardedRunFlags flags, ChangeRecord? undoOf, CancellationToken cancellationToken)
    {
        var lifecycle = await context.LifecycleAsync(config, target, cancellationToken);
        var prepared = await lifecycle.PrepareAsync(operation, context.Host.Actor, undoOf, cancellationToken);
        if (!context.Json)
        {
            ImpactView.VerdictOnly(context.Console, prepared.Preview.Decision);
        }

        var result = prepared.Requires switch
        {
            Requirement.Refused => ChangeLifecycle.Denied(prepared),
            Requirement.Approval => await lifecycle.SetAsideAsync(prepared, ChangeOutcome.NeedsApproval, CancellationToken.None),
            _ => await AuthorizeAsync(context, prepared.Requires, target.Environment, flags, cancellationToken) is { } authorization
                ? await lifecycle.ExecuteAsync(prepared, authorization, null, cancellationToken)
                : await lifecycle.SetAsideAsync(prepared, ChangeOutcome.NotConfirmed, CancellationToken.None),
        };
        foreach (var warning in result.Warnings)
        {
            context.ErrorConsole.MarkupLineInterpolated($"[yellow]warning:[/] {warning}");
        }

        if (result.Outcome != ChangeOutcome.Committed)
        {
            context.Refusal ??= result.Message;
            Report(context, target.Environment, result, config, null, null);
        }

        return result;
    }

    internal static int ExitCode(ChangeOutcome outcome) => outcome switch
    {
        ChangeOutcome.Committed => ExitCodes.Done,
        ChangeOutcome.Denied => ExitCodes.Denied,
        ChangeOutcome.Failed => ExitCodes.RuntimeError,
        _ => ExitCodes.NeedsConfirmation,
    };

    /// <summary>
    /// The authorization a requirement asks of the person at the CLI: none, a yes (--yes or a prompt), or on production
    /// the environment's name (--confirm NAME or typed at a prompt). Null when it was not given; the refusal is then
    /// said on the error stream and kept for the JSON document.
    /// </summary>
    internal static async Task<Authorization?> AuthorizeAsync(CommandContext context, Requirement requirement, EnvironmentConfig environment, GuardedRunFlags flags, CancellationToken cancellationToken)
    {
        var actor = context.Host.Actor;
        switch (requirement)
        {
            case Requirement.Nothing:
                return Authorization.None;
            case Requirement.TypedName:
                if (flags.ConfirmName is { } confirmName)
                {
                    if (string.Equals(confirmName, environment.Name, StringComparison.Ordinal))
                    {
                        return Authorization.Typed(actor, confirmName);
                    }

                    context.Refusal = $"--confirm '{confirmName}' does not match the environment's name '{environment.Name}'; nothing was changed";
                    context.ErrorConsole.MarkupLineInterpolated($"[red]--confirm '{confirmName}' does not match the environment's name '{environment.Name}'.[/]");
                    return null;
                }

                if (!flags.Interactive)
                {
                    context.Refusal = $"this production change needs a typed confirmation; re-run with --confirm {environment.Name}";
                    context.ErrorConsole.MarkupLineInterpolated($"This production change needs a typed confirmation; re-run with --confirm {environment.Name}.");
                    return null;
                }

                context.ErrorConsole.MarkupInterpolated($"Type the environment's name ([bold]{environment.Name}[/]) to run this change on production: ");
                var typed = (await context.Host.In.ReadLineAsync(cancellationToken))?.Trim();
                return string.Equals(typed, environment.Name, StringComparison.Ordinal) ? Authorization.Typed(actor, typed!) : null;
            case Requirement.Confirmation:
                if (flags.Yes)
                {
                    return Authorization.Confirmed(actor);
                }

                if (!flags.Interactive)
                {
                    context.Refusal = "this change needs confirmation; re-run with --yes";
                    context.ErrorConsole.MarkupLine("This change needs confirmation; re-run with --yes.");
                    return null;
                }

                context.ErrorConsole.Markup($"Run this change on [bold]{Markup.Escape(environment.Name)}[/]? [[y/N]] ");
                var answer = (await context.Host.In.ReadLineAsync(cancellationToken))?.Trim();
                return answer is not null && (answer.Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Equals("yes", StringComparison.OrdinalIgnoreCase))
                    ? Authorization.Confirmed(actor)
                    : null;
            default:
                return null;
        }
    }

    /// <summary>A confirmation as the environment's tier asks it of any write (production: the typed name; otherwise a yes).</summary>
    internal static async Task<bool> ConfirmAsync(CommandContext context, EnvironmentConfig environment, bool yes, string? confirmName, bool interactive, CancellationToken cancellationToken) =>
        await AuthorizeAsync(context, ConfirmationRules.For(Core.Policies.Verdict.Confirm, environment.Tier), environment, new GuardedRunFlags(false, yes, confirmName, interactive), cancellationToken) is not null;

    /// <param name="jsonSink">with --json: receives the change's JSON instead of its being written (a caller that writes one document for several changes).</param>
    private static void Report(CommandContext context, EnvironmentConfig environment, RunResult result, BackstopConfig config, Func<object, object>? wrapJson, Action<object>? jsonSink)
    {
        var report = ChangeReports.Run(environment, result);
        if (context.Json)
        {
            if (jsonSink is not null)
            {
                jsonSink(report);
            }
            else
            {
                context.WriteJson(wrapJson is null ? report : wrapJson(report));
            }

            return;
        }

        RenderOutcome(context, report, approvalHint: $"Approvals come with team mode (`backstop login URL`, docs/server.md); until then the policy can be changed under policies.{environment.Tier.ToString().ToLowerInvariant()} in {config.Path}.");
    }

    /// <summary>How a run ended, in words: the same for a local run and for one the server ran.</summary>
    internal static void RenderOutcome(CommandContext context, ChangeReport report, string approvalHint)
    {
        var console = context.Console;
        switch (report.Outcome)
        {
            case ChangeOutcome.Committed:
                console.MarkupLineInterpolated($"[green]Committed[/] change [bold]{report.ChangeId}[/]: {report.TotalRowsChanged:N0} rows changed.");
                if (report.Message is not null)
                {
                    context.ErrorConsole.MarkupLineInterpolated($"[yellow]warning:[/] {report.Message}");
                }

                break;
            case ChangeOutcome.Denied:
                console.MarkupLineInterpolated($"[red]Denied by the {report.Tier.ToString().ToLowerInvariant()} policy; nothing was changed[/] (change {report.ChangeId}).");
                break;
            case ChangeOutcome.NeedsApproval or ChangeOutcome.Prepared when report.RequestId is { } requestId:
                console.MarkupLineInterpolated(
                    $"[darkorange]Needs a second person's approval; nothing was changed yet.[/] Request [bold]{requestId}[/] (change {report.ChangeId}) waits for it: another person approves with `backstop approve {requestId}`, then `backstop execute {requestId}` runs it.");
                break;
            case ChangeOutcome.NeedsApproval:
                console.MarkupLineInterpolated($"[darkorange]Needs a second person's approval; nothing was changed[/] (change {report.ChangeId}). {approvalHint}");
                break;
            case ChangeOutcome.ImpactChanged:
                console.MarkupLineInterpolated($"[red]The impact changed between the preview and the run; rolled back, nothing was changed[/] (change {report.ChangeId}):");
                foreach (var difference in report.Differences ?? [])
                {
                    console.MarkupLineInterpolated($"  - {difference}");
                }

                console.MarkupLine("Preview it again with `backstop check` and run it again if it is still what you want.");
                break;
            case ChangeOutcome.Failed:
                context.ErrorConsole.MarkupLineInterpolated($"[red]error:[/] {report.Message} (change {report.ChangeId})");
                break;
            default:
                console.MarkupLineInterpolated($"[yellow]Not confirmed; nothing was changed[/] (change {report.ChangeId}).");
                break;
        }
    }
}
