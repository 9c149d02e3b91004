using System.CommandLine;
using Backstop.Cli.Rendering;
using Backstop.Recovery.Pitr;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary><c>backstop pitr clone</c> and <c>backstop pitr verify</c>: a new cluster holding an environment as it was at a moment, and the drill that checks one.</summary>
internal static class PitrCloneCommand
{
    public static Command Clone(CliHost host)
    {
        var environmentOption = EnvironmentOption.Required();
        var time = new Option<string?>("--time") { Description = "The moment to recover to: 2026-05-01T14:03:00Z, '2026-05-01 16:03:00+02', or without an offset in the environment's time zone; or 'now'" };
        var lsn = new Option<string?>("--lsn") { Description = "Or a WAL location to recover to, as PostgreSQL prints a pg_lsn (0/1A2B3C4): recovery stops at that record, even inside a transaction" };
        var exclusive = new Option<bool>("--exclusive") { Description = "With --lsn: stop just before the record at that location instead of just after it" };
        var name = new Option<string?>("--name") { Description = "A name for the clone's sandbox (default: pitr-ENV-…)" };
        var command = new Command("clone", "Start a new cluster holding the environment exactly as it was at --time (or --lsn), restored by pgBackRest and confirmed by the server; print its URL")
        {
            environmentOption, time, lsn, exclusive, name,
        };
        PitrCommand.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var environment = config.Environment(parse.GetValue(environmentOption)!);
            var options = new CloneOptions { Time = parse.GetValue(time), Lsn = parse.GetValue(lsn), Inclusive = !parse.GetValue(exclusive), Name = parse.GetValue(name) };
            if (options.Time is null && options.Lsn is null)
            {
                throw new UsageException("say what to recover to: --time TIME (e.g. '2026-05-01 16:03:00+02', or now) or --lsn LOCATION (e.g. 0/1A2B3C4)");
            }

            var clone = await new PitrService(config, context.Connector).CloneAsync(environment, options, PitrCommand.Steps(context), cancellationToken);
            Warn(context, clone.Warnings);
            if (context.Json)
            {
                context.WriteJson(CloneJson(clone));
                return ExitCodes.Done;
            }

            var asOf = clone.TargetLsn is { } at ? $"{(clone.Inclusive ? "up to and including" : "up to just before")} WAL location {at}" : $"as of {RecoveryTarget.Display(clone.Target)}";
            context.ErrorConsole.MarkupLineInterpolated($"[green]Clone {clone.Name}[/] holds {environment.Name} {asOf} (from backup {clone.Backup}).");
            context.ErrorConsole.MarkupLineInterpolated($"{Reached(clone)}");
            context.ErrorConsole.MarkupLineInterpolated($"It is a sandbox: list it with `backstop sandbox list`, stop and delete it with `backstop sandbox stop {clone.Name}`.");
            context.Console.WriteLine(clone.Url);
            return ExitCodes.Done;
        });
        return command;
    }

    public static Command Verify(CliHost host)
    {
        var environmentOption = EnvironmentOption.Required();
        var time = new Option<string?>("--time") { Description = "The moment to clone and check (default: now)" };
        var keep = new Option<bool>("--keep") { Description = "Leave the clone running afterwards (stop it with `backstop sandbox stop NAME`)" };
        var name = new Option<string?>("--name") { Description = "A name for the clone's sandbox (default: pitr-ENV-…)" };
        var command = new Command("verify", "The PITR drill: clone the environment (default: as of now), run pg_amcheck, read every table, check constraints; record the result")
        {
            environmentOption, time, keep, name,
        };
        PitrCommand.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var environment = config.Environment(parse.GetValue(environmentOption)!);
            var options = new VerifyOptions
            {
                CloneOptions = new CloneOptions { Time = parse.GetValue(time), Name = parse.GetValue(name) },
                Keep = parse.GetValue(keep),
                Jobs = environment.Backup.Jobs,
                Clock = host.Clock,
            };
            var result = await new PitrService(config, context.Connector).VerifyAsync(environment, options, PitrCommand.Steps(context), cancellationToken);
            var clone = result.CloneResult;
            Warn(context, clone.Warnings);
            if (context.Json)
            {
                context.WriteJson(new
                {
                    drillId = result.DrillId, environment = environment.Name, passed = result.Passed, target = clone.Target, tables = result.Tables, rows = result.Rows,
                    failures = result.Failures.Select(f => new { check = f.Check, @object = f.Object, message = f.Message }),
                    constraintsChecked = !result.ConstraintsSkipped, durations = result.Durations, kept = result.Kept, clone = CloneJson(clone),
                });
            }
            else if (result.Passed)
            {
                var constraints = result.ConstraintsSkipped ? "constraints not compared (the source was not reachable)" : "no constraint NOT VALID beyond the source's";
                context.Console.MarkupLineInterpolated(
                    $"[green]PITR drill passed[/] for {environment.Name} as of {RecoveryTarget.Display(clone.Target)}: {Humanize.Count(result.Tables)} tables, {Humanize.Count(result.Rows)} rows read, pg_amcheck clean, {constraints} (drill {result.DrillId}).");
                context.Console.MarkupLineInterpolated($"{Reached(clone)}");
            }
            else
            {
                context.ErrorConsole.MarkupLineInterpolated($"[red]PITR drill failed[/] for {environment.Name} as of {RecoveryTarget.Display(clone.Target)} (drill {result.DrillId}):");
                foreach (var failure in result.Failures)
                {
                    context.ErrorConsole.MarkupLineInterpolated($"  {failure.ToString()}");
                }
            }

            if (result.Kept && !context.Json)
            {
                context.Console.MarkupLineInterpolated($"The clone {clone.Name} is still running at {clone.Url}; stop it with `backstop sandbox stop {clone.Name}`.");
            }

            return result.Passed ? ExitCodes.Done : ExitCodes.RuntimeError;
        });
        return command;
    }

    private static string Reached(CloneResult clone)
    {
        var confirmation = clone.Confirmation;
        var last = confirmation.LastReplayedCommit is { } at ? $"the last commit replayed is from {RecoveryTarget.Display(at)}" : "no commit was replayed after the backup";
        if (confirmation.StoppedAtLsn is { } lsn)
        {
            return $"The server confirmed it: recovery paused {(confirmation.StoppedAfter ? "just after" : "just before")} the record at WAL location {lsn} ({last}), then the clone was promoted.";
        }

        var next = confirmation.StoppedBeforeTime is { } before ? $" at {RecoveryTarget.Display(before)}" : "";
        return $"The server confirmed it: recovery paused at the target ({last}; it stopped before the {confirmation.StoppedBeforeTransaction}{next}), then the clone was promoted.";
    }

    private static object CloneJson(CloneResult clone) => new
    {
        name = clone.Name,
        url = clone.Url,
        port = clone.Cluster.Info.Port,
        directory = clone.Cluster.Info.Directory,
        target = clone.Target,
        targetLsn = clone.TargetLsn?.ToString(),
        inclusive = clone.TargetLsn is null ? (bool?)null : clone.Inclusive,
        backup = clone.Backup,
        lastReplayedCommit = clone.Confirmation.LastReplayedCommit,
        stoppedBefore = clone.Confirmation.StoppedBeforeTransaction,
        stoppedBeforeTime = clone.Confirmation.StoppedBeforeTime,
        stoppedAtLsn = clone.Confirmation.StoppedAtLsn?.ToString(),
        lastReplayedLsn = clone.Confirmation.LastReplayedLsn?.ToString(),
        archivedSegment = clone.ArchivedSegment,
        warnings = clone.Warnings,
    };

    private static void Warn(CommandContext context, IReadOnlyList<string> warnings)
    {
        foreach (var warning in warnings)
        {
            context.ErrorConsole.MarkupLineInterpolated($"[yellow]warning:[/] {warning}");
        }
    }
}
