using System.CommandLine;
using Backstop.Cli.Rendering;
using Backstop.Core.Changes;
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
            var config = context.LoadConfig();
            var environment = config.Environment(parse.GetValue(environmentOption)!);
            var statements = ScriptAnalyzer.Analyze(script);
            await using var target = await context.Connector.OpenAsync(environment, cancellationToken);
            ImpactView.Banner(context.Console, environment, target.Url);
            var pipeline = new ChangePipeline(target, config.Policies[environment.Tier], host.Clock)
            {
                ProvenBackups = await BackupCommand.ProvenBackupsAsync(context, config, target.Identity, statements, cancellationToken),
            };
            var result = await PreviewSpinner.RunAsync(context, statements.Count, progress => pipeline.CheckAsync(statements, parse.GetValue(allowAllRows), progress, cancellationToken));
            var runRefusal = ChangePipeline.TransactionalityProblem(statements);
            if (context.Json)
            {
                context.WriteJson(ChangeJson.Check(environment, result, runRefusal));
                return VerdictExit(result.Decision.Verdict);
            }

            ImpactView.Statements(context.Console, result.Statements, result.Impacts, result.Decision);
            ImpactView.Summary(context.Console, result.Decision, result.Impacts.Sum(i => i.Changed));
            context.Console.MarkupLine("[dim]Preview only: the transaction was rolled back.[/]");
            if (runRefusal is not null)
            {
                context.Console.MarkupLineInterpolated($"[yellow]Note:[/] `backstop run` would refuse this script: {runRefusal}");
            }

            return VerdictExit(result.Decision.Verdict);
        });
        return command;
    }

    /// <summary>check's exit code is the verdict's: 0 allow, 4 confirm or approve, 3 deny.</summary>
    public static int VerdictExit(Core.Policies.Verdict verdict) => verdict switch
    {
        Core.Policies.Verdict.Allow => ExitCodes.Done,
        Core.Policies.Verdict.Deny => ExitCodes.Denied,
        _ => ExitCodes.NeedsConfirmation,
    };
}
