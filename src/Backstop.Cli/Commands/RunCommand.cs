using System.CommandLine;
using Backstop.Cli.Rendering;
using Backstop.Core.Changes;

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
        var emergency = new Option<bool>("--emergency") { Description = "Team mode: break glass, run a change that needs approval without it, where the tier's policy allows (needs --reason); it stays open for review" };
        var reason = new Option<string?>("--reason") { Description = "Why this change cannot wait (with --emergency)" };
        var source = new ScriptSource();
        var command = new Command("run", "Preview a script, apply the environment's policy, and run it in one guarded transaction")
        {
            environmentOption,
            allowAllRows,
            yes,
            confirm,
            emergency,
            reason,
        };
        source.AddTo(command);
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var script = await source.ReadAsync(parse, host, cancellationToken);
            var readFromStdin = parse.GetValue<string?>("-") is not null;
            var flags = new GuardedRunFlags(parse.GetValue(allowAllRows), parse.GetValue(yes), parse.GetValue(confirm), Interactive: host.Interactive && !readFromStdin);
            if (context.Remote is not null)
            {
                return await Remote.RemoteChanges.RunAsync(context, parse.GetValue(environmentOption)!, script, flags, parse.GetValue(emergency), parse.GetValue(reason), cancellationToken);
            }

            if (parse.GetValue(emergency))
            {
                throw new UsageException("--emergency (break glass) is for team mode, where someone reviews it afterwards; log in to a Backstop server with `backstop login URL`");
            }

            var config = context.LoadConfig();
            var environment = config.Environment(parse.GetValue(environmentOption)!);
            var statements = ScriptAnalyzer.Analyze(script);
            await using var target = await context.Connector.OpenAsync(environment, cancellationToken);
            ImpactView.Banner(context.Console, environment, target.Url);
            return await GuardedRun.ExecuteAsync(context, config, target, new ChangeRequest { Script = script, Statements = statements, Actor = host.Actor, AllowAllRows = flags.AllowAllRows }, flags, cancellationToken);
        });
        return command;
    }
}
