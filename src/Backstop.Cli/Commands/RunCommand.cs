using System.CommandLine;
using Backstop.Cli.Rendering;
using Backstop.Core.Changes;
using Backstop.Core.Configuration;
using Backstop.Core.Policies;
using Backstop.Core.State;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>
/// <c>backstop run</c>: preview, verdict, confirmation, then the whole script in one transaction that is
/// measured again and committed only if its impact still matches the preview.
/// </summary>
internal static class RunCommand
{
    public static Command Create(CliHost host)
    {
        var environmentOption = EnvironmentOption.Required();
        var allowAllRows = new Option<bool>("--allow-all-rows") { Description = "Statements without WHERE are meant (production: asks for approval instead of denying)" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Confirm without a prompt (not enough on production: use --confirm NAME)" };
        var confirm = new Option<string?>("--confirm") { Description = "Confirm a production change without a prompt by giving the environment's name" };
        var source = new ScriptSource();
        var command = new Command("run", "Preview a script, apply the environment's policy, and run it in one guarded transaction")
        {
            environmentOption,
            allowAllRows,
            yes,
            confirm,
        };
        source.AddTo(command);
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var script = await source.ReadAsync(parse, host, cancellationToken);
            var readFromStdin = parse.GetValue<string?>("-") is not null;
            var config = context.LoadConfig();
            var environment = config.Environment(parse.GetValue(environmentOption)!);
            var statements = ScriptAnalyzer.Analyze(script);
            await using var target = await context.Connector.OpenAsync(environment, cancellationToken);
            ImpactView.Banner(context.Console, environment, target.Url);
            var store = await context.OpenStoreAsync(config, cancellationToken);
            var pipeline = new ChangePipeline(target, config.Policies[environment.Tier], host.Clock);
            var options = new RunOptions
            {
                AllowAllRows = parse.GetValue(allowAllRows),
                Previewed = preview =>
                {
                    if (!context.Json)
                    {
                        ImpactView.Statements(context.Console, preview.Statements, preview.Impacts, preview.Decision);
                        ImpactView.Summary(context.Console, preview.Decision, preview.Impacts.Sum(i => i.Changed));
                    }
                },
                Confirm = (_, ct) => ConfirmAsync(context, environment, parse.GetValue(yes), parse.GetValue(confirm), interactive: host.Interactive && !readFromStdin, ct),
            };
            var result = await PreviewSpinner.RunAsync(context, statements.Count, progress => pipeline.RunAsync(script, statements, options, store, progress, cancellationToken));
            Report(context, environment, result, config);
            return result.Outcome switch
            {
                ChangeOutcome.Committed => ExitCodes.Done,
                ChangeOutcome.Denied => ExitCodes.Denied,
                ChangeOutcome.Failed => ExitCodes.RuntimeError,
                _ => ExitCodes.NeedsConfirmation,
            };
        });
        return command;
    }

    private static async Task<bool> ConfirmAsync(CommandContext context, EnvironmentConfig environment, bool yes, string? confirmName, bool interactive, CancellationToken cancellationToken)
    {
        if (environment.Tier == Tier.Production)
        {
            if (confirmName is not null)
            {
                if (string.Equals(confirmName, environment.Name, StringComparison.Ordinal))
                {
                    return true;
                }

                context.ErrorConsole.MarkupLineInterpolated($"[red]--confirm '{confirmName}' does not match the environment's name '{environment.Name}'.[/]");
                return false;
            }

            if (!interactive)
            {
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
            context.ErrorConsole.MarkupLine("This change needs confirmation; re-run with --yes.");
            return false;
        }

        context.ErrorConsole.Markup($"Run this change on [bold]{Markup.Escape(environment.Name)}[/]? [[y/N]] ");
        var answer = (await context.Host.In.ReadLineAsync(cancellationToken))?.Trim();
        return answer is not null && (answer.Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Equals("yes", StringComparison.OrdinalIgnoreCase));
    }

    private static void Report(CommandContext context, EnvironmentConfig environment, RunResult result, BackstopConfig config)
    {
        if (context.Json)
        {
            context.WriteJson(ChangeJson.Run(environment, result));
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
            default:
                console.MarkupLineInterpolated($"[yellow]Not confirmed; nothing was changed[/] (change {result.ChangeId}).");
                break;
        }
    }
}
