using System.CommandLine;
using Backstop.Cli.Rendering;
using Backstop.Core.Policies;
using Backstop.Recovery.Backups;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary><c>backstop backup restore ID --to URL|ENV | --sandbox</c>.</summary>
internal static partial class BackupCommand
{
    private static Command Restore(CliHost host)
    {
        var environmentOption = EnvironmentOption.Required();
        var id = new Argument<string>("ID") { Description = "The backup to restore (see `backstop backup list`)" };
        var to = new Option<string?>("--to") { Description = "Where to restore: a postgresql:// URL or an environment's name; the database is created if it does not exist" };
        var sandbox = new Option<bool>("--sandbox") { Description = "Restore into a new sandbox cluster on this machine and print its URL" };
        var name = new Option<string?>("--name") { Description = "The sandbox's name (with --sandbox; default restore-ID)" };
        var force = new Option<bool>("--force") { Description = "Restore over a database that already holds objects (its objects of the same names are dropped first; asks for the typed name), or a backup whose latest drill failed" };
        var confirm = new Option<string?>("--confirm") { Description = "With --force and no terminal: the target's environment name (or database name for a URL)" };
        var yes = new Option<bool>("--yes", "-y") { Description = "With --force: confirm without a prompt when the target is a development or staging environment (not enough for production or a URL: use --confirm NAME)" };
        var noOwner = new Option<bool>("--no-owner") { Description = "Do not restore owners and grants (for a server without the backup's roles)" };
        var jobs = new Option<int?>("--jobs", "-j") { Description = "Parallel pg_restore jobs (default: backup.jobs, else 2)" };
        var command = new Command("restore", "Restore a backup into a new database or a new sandbox; never over a non-empty database without --force and the typed name, nor a backup whose latest drill failed without --force")
        {
            environmentOption, id, to, sandbox, name, force, confirm, yes, noOwner, jobs,
        };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var environment = config.Environment(parse.GetValue(environmentOption)!);
            var destination = parse.GetValue(to);
            if ((destination is null) == !parse.GetValue(sandbox))
            {
                throw new UsageException("say where to restore: --to URL|ENV or --sandbox (one of them)");
            }

            var service = new BackupRestoreService(config, context.Connector);
            var request = new BackupRestoreRequest
            {
                Environment = environment,
                BackupId = parse.GetValue(id)!,
                To = destination,
                SandboxName = parse.GetValue(name),
                Force = parse.GetValue(force),
                NoOwner = parse.GetValue(noOwner),
                Jobs = parse.GetValue(jobs),
            };
            var target = await service.PrepareAsync(request, cancellationToken);
            if (target.FailedDrill is { } failedDrill)
            {
                context.ErrorConsole.MarkupLineInterpolated($"[yellow]warning:[/] backup {target.Backup.Id} failed its latest restore drill ({failedDrill.Failure}); restoring it anyway, as --force asks.");
            }

            BackupRestoreResult restored;
            if (target is { Replaces: true, Environment: { } replaced })
            {
                // Over an environment's database: a change of its own, judged by the tier's policy and recorded.
                await using var connected = await context.Connector.OpenAsync(replaced, cancellationToken);
                var over = new BackupRestoreOver(service, target);
                var flags = new GuardedRunFlags(AllowAllRows: false, parse.GetValue(yes), parse.GetValue(confirm), host.Interactive);
                var result = await GuardedRun.OperationAsync(context, config, connected, over, flags, undoOf: null, cancellationToken);
                if (result.Outcome != Core.State.ChangeOutcome.Committed)
                {
                    return GuardedRun.ExitCode(result.Outcome);
                }

                restored = over.Result!;
            }
            else
            {
                if (target.Replaces && !await ConfirmNameAsync(context, target.ConfirmationName, parse.GetValue(confirm), parse.GetValue(yes), host.Interactive, cancellationToken))
                {
                    return ExitCodes.NeedsConfirmation;
                }

                restored = await service.RestoreAsync(target, cancellationToken);
            }

            var backup = target.Backup;
            if (context.Json)
            {
                context.WriteJson(new
                {
                    backup = backup.Id, environment = environment.Name, url = restored.Url.ToString(), sandbox = restored.SandboxName, recordedOid = restored.RecordedOid,
                    durationSeconds = Math.Round(restored.Duration.TotalSeconds, 3),
                    failedDrill = target.FailedDrill is { } d ? new { at = d.FinishedAt, failedCheck = d.FailedCheck, failedObject = d.FailedObject, message = d.Message } : null,
                });
            }
            else
            {
                var sandboxName = restored.SandboxName;
                var unproven = target.FailedDrill is null ? "" : ", although its latest drill failed (--force)";
                context.ErrorConsole.MarkupLineInterpolated($"Restored backup {backup.Id} of {environment.Name} ({Humanize.Count(backup.Rows ?? 0)} rows) in {Humanize.Span(restored.Duration)}{(sandboxName is null ? "" : $" into sandbox {sandboxName} (stop it with `backstop sandbox stop {sandboxName}`)")}{unproven}:");
                context.Console.WriteLine(restored.Url.ToString());
                if (restored.RecordedOid is { } oid)
                {
                    context.ErrorConsole.MarkupLineInterpolated($"Database '{restored.Url.Database}' was created by the restore; its new OID {oid} is recorded in the identity of {target.Environment?.Name}.");
                }
            }

            return ExitCodes.Done;
        });
        return command;
    }

    private static async Task<bool> ConfirmNameAsync(CommandContext context, string expected, string? given, bool yes, bool interactive, CancellationToken cancellationToken)
    {
        if (given is not null)
        {
            if (given == expected)
            {
                return true;
            }

            context.Refusal = $"--confirm '{given}' does not match '{expected}'; nothing was restored";
            context.ErrorConsole.MarkupLineInterpolated($"[red]--confirm '{given}' does not match '{expected}'.[/]");
            return false;
        }

        if (!interactive)
        {
            var why = yes ? " (--yes is not enough for a production environment or a URL)" : "";
            context.Refusal = $"restoring over a non-empty database needs the typed name{why}; re-run with --confirm {expected}";
            context.ErrorConsole.MarkupLineInterpolated($"Restoring over a non-empty database needs the typed name{why}; re-run with --confirm {expected}.");
            return false;
        }

        context.ErrorConsole.MarkupInterpolated($"This replaces objects in a non-empty database. Type [bold]{expected}[/] to go on: ");
        var typed = await context.Host.In.ReadLineAsync(cancellationToken);
        return string.Equals(typed?.Trim(), expected, StringComparison.Ordinal);
    }
}
