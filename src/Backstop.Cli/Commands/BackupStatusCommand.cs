using System.CommandLine;
using Backstop.Cli.Rendering;
using Backstop.Recovery.Backups;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>
/// <c>backstop backup status [--strict]</c>: per environment, the last backup and the last proven restore, whose files are
/// checked against its manifest again (a backup damaged since its drill is not called proven).
/// </summary>
internal static partial class BackupCommand
{
    private static Command Status(CliHost host)
    {
        var environmentOption = EnvironmentOption.Optional();
        var strict = new Option<bool>("--strict") { Description = "Exit 1 when an environment's last proven restore is missing or older than its limit, or its newest drilled backup no longer matches its manifest (for cron and monitoring)" };
        var command = new Command("status", "Per environment: the last backup's age and size, and the last proven restore's age against the limit (backup.proven_within, default 24h), its files checked against its manifest")
        {
            environmentOption, strict,
        };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var name = parse.GetValue(environmentOption);
            var health = await new BackupService(config, context.Connector, host.Clock).StatusAsync(name, cancellationToken);
            if (context.Json)
            {
                context.WriteJson(new
                {
                    ok = health.All(h => h.Ok),
                    environments = health.Select(h => new
                    {
                        environment = h.Environment, stale = h.Stale, limitSeconds = h.Limit.TotalSeconds,
                        lastBackup = h.LastBackup is { } b ? new { id = b.Id, at = b.StartedAt, ageSeconds = Math.Round(h.LastBackupAge!.Value.TotalSeconds), sizeBytes = b.SizeBytes } : null,
                        lastProvenRestore = h.LastProvenBackup is { } p ? new { backup = p.Id, backupAt = p.StartedAt, ageSeconds = Math.Round(h.LastProvenAge!.Value.TotalSeconds), drilledAt = h.LastPassedDrill!.FinishedAt } : null,
                        lastDrill = h.LastDrill is { } d ? new { backup = d.BackupId, passed = d.Passed, at = d.FinishedAt, failedCheck = d.FailedCheck, failedObject = d.FailedObject } : null,
                        damaged = h.Damaged.Select(x => new
                        {
                            backup = x.Backup.Id, backupAt = x.Backup.StartedAt, drilledAt = x.PassedDrill.FinishedAt,
                            failures = x.Failures.Select(f => new { check = f.Check, @object = f.Object, message = f.Message }),
                        }),
                    }),
                });
            }
            else
            {
                WriteStatus(context, health);
            }

            return parse.GetValue(strict) && !health.All(h => h.Ok) ? ExitCodes.RuntimeError : ExitCodes.Done;
        });
        return command;
    }

    private static void WriteStatus(CommandContext context, IReadOnlyList<BackupHealth> health)
    {
        var table = new Table().AddColumns("Environment", "Last backup", "Size", "Last proven restore", "Limit", "Status");
        foreach (var h in health)
        {
            var proven = h.LastProvenBackup is null ? "[yellow]never[/]" : $"{Markup.Escape(Humanize.Age(h.LastProvenAge!.Value))} (backup {Markup.Escape(h.LastProvenBackup.Id)})";
            var state = h.Stale ? "[red]STALE[/]" : h.Ok ? "[green]ok[/]" : "";
            if (h.Damaged.Count > 0)
            {
                state = $"{state} [red]DAMAGED (backup {Markup.Escape(h.Damaged[0].Backup.Id)})[/]".TrimStart();
            }

            if (h.LastDrill is { Passed: false } failed)
            {
                state += $" [red](last drill failed: {Markup.Escape(failed.FailedCheck ?? "")} {Markup.Escape(failed.FailedObject ?? "")})[/]";
            }

            table.AddRow(
                Markup.Escape(h.Environment), h.LastBackup is null ? "[yellow]none[/]" : Humanize.Age(h.LastBackupAge!.Value),
                h.LastBackup?.SizeBytes is { } size ? Humanize.Bytes(size) : "", proven, Humanize.Span(h.Limit), state);
        }

        context.Console.Write(table);
        foreach (var h in health)
        {
            foreach (var damaged in h.Damaged)
            {
                var instead = h.LastProvenBackup is { } older ? $"the last proven restore is backup {older.Id}, older" : "no other backup is proven";
                context.ErrorConsole.MarkupLineInterpolated(
                    $"[red]damaged:[/] backup {damaged.Backup.Id} of {h.Environment} passed its drill, but its files no longer match its manifest, so it is not proven ({instead}):");
                foreach (var failure in damaged.Failures.Take(10))
                {
                    context.ErrorConsole.MarkupLineInterpolated($"  [red]✗[/] [bold]{failure.Object}[/]: {failure.Message}");
                }
            }

            if (h.Stale)
            {
                context.ErrorConsole.MarkupLineInterpolated(
                    $"[yellow]warning:[/] {h.Environment} has {(h.LastProvenBackup is null ? "no proven restore" : $"no restore proven in the last {Humanize.Span(h.Limit)}")}; run `backstop backup run -e {h.Environment}` and `backstop backup verify --latest -e {h.Environment}`.");
            }
            else if (h.Damaged.Count > 0)
            {
                context.ErrorConsole.MarkupLineInterpolated(
                    $"Take a new backup and drill it: `backstop backup run -e {h.Environment}` and `backstop backup verify --latest -e {h.Environment}`.");
            }
        }
    }
}
