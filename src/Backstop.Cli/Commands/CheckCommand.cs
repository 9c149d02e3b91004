using System.CommandLine;
using Backstop.Cli.Rendering;
using Backstop.Core.Changes;
using Backstop.Core.Reports;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary><c>backstop check</c>: preview a script in a transaction that is always rolled back, and give the verdict.</summary>
internal static class CheckCommand
{
    public static Command Create(CliHost host)
    {
        var environmentOption = EnvironmentOption.Required();
        var allowAllRows = new Option<bool>("--allow-all-rows") { Description = "Judge statements without WHERE as meant (production: approve instead of deny)" };
        var source = new ScriptSource();
        var command = new Command("check", "Preview what a script would do to each table (cascades and triggers included) and the policy's verdict; nothing is committed")
        {
            environmentOption,
            allowAllRows,
        };
        source.AddTo(command);
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var script = await source.ReadAsync(parse, host, cancellationToken);
            if (context.Remote is not null)
            {
                return await Remote.RemoteChanges.CheckAsync(context, parse.GetValue(environmentOption)!, script, parse.GetValue(allowAllRows), cancellationToken);
            }

            var config = context.LoadConfig();
            var environment = config.Environment(parse.GetValue(environmentOption)!);
            var statements = ScriptAnalyzer.Analyze(script);
            await using var target = await context.Connector.OpenAsync(environment, cancellationToken);
            ImpactView.Banner(context.Console, environment, target.Url);
            var lifecycle = await context.LifecycleAsync(config, target, cancellationToken);
            var result = await PreviewSpinner.RunAsync(context, statements.Count, progress => lifecycle.CheckAsync(statements, parse.GetValue(allowAllRows), progress, cancellationToken));
            var runRefusal = ChangeLifecycle.TransactionalityProblem(statements);
            return Render(context, ChangeReports.Check(environment, result, runRefusal));
        });
        return command;
    }

    /// <summary>Shows a check's report (or writes it with --json) and returns its exit code; the same for a local and a remote check.</summary>
    internal static int Render(CommandContext context, ChangeReport report)
    {
        if (context.Json)
        {
            context.WriteJson(report);
            return VerdictExit(report.Verdict);
        }

        ImpactView.Report(context.Console, report);
        context.Console.MarkupLine("[dim]Preview only: the transaction was rolled back.[/]");
        if (report.RunRefusal is not null)
        {
            context.Console.MarkupLineInterpolated($"[yellow]Note:[/] `backstop run` would refuse this script: {report.RunRefusal}");
        }

        return VerdictExit(report.Verdict);
    }

    /// <summary>check's exit code is the verdict's: 0 allow, 4 confirm or approve, 3 deny.</summary>
    public static int VerdictExit(Core.Policies.Verdict verdict) => verdict switch
    {
        Core.Policies.Verdict.Allow => ExitCodes.Done,
        Core.Policies.Verdict.Deny => ExitCodes.Denied,
        _ => ExitCodes.NeedsConfirmation,
    };
}
