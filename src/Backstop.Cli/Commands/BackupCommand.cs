using System.CommandLine;
using Backstop.Cli.Rendering;
using Backstop.Core.Configuration;
using Backstop.Postgres.Catalog;
using Backstop.Recovery.Backups;
using Backstop.Recovery.Catalog;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary><c>backstop backup run | verify | list | status | restore</c>: logical backups that count once a restore drill has proven them.</summary>
internal static partial class BackupCommand
{
    public static Command Create(CliHost host)
    {
        var command = new Command("backup", "Logical backups (pg_dump) with checksums and fingerprints, proven by restore drills");
        command.Add(Run(host));
        command.Add(Verify(host));
        command.Add(List(host));
        command.Add(Status(host));
        command.Add(Restore(host));
        return command;
    }

    private static Command Run(CliHost host)
    {
        var environmentOption = EnvironmentOption.Required();
        var database = new Option<string?>("--database") { Description = "Back up this database of the environment's server instead of the environment's own" };
        var jobs = new Option<int?>("--jobs", "-j") { Description = "Parallel pg_dump jobs (default: the environment's backup.jobs, else 2)" };
        var keep = new Option<int?>("--keep") { Description = "Keep at most N complete backups of the environment afterwards (default: backup.keep; the newest and the newest proven are always kept)" };
        var maxAge = new Option<string?>("--max-age") { Description = "Remove complete backups older than this afterwards, e.g. 30d (default: backup.max_age)" };
        var command = new Command("run", "Take a backup: pg_dump from an exported snapshot, with row counts and fingerprints from the same snapshot, and a SHA-256 manifest")
        {
            environmentOption, database, jobs, keep, maxAge,
        };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var environment = config.Environment(parse.GetValue(environmentOption)!);
            var settings = environment.Backup;
            if (parse.GetValue(jobs) is { } j)
            {
                settings = settings with { Jobs = j is >= 1 and <= 64 ? j : throw new UsageException($"--jobs {j} is out of range; use 1 to 64") };
            }

            settings = settings with { Keep = parse.GetValue(keep) ?? settings.Keep, MaxAge = ParseAge(parse.GetValue(maxAge), "--max-age") ?? settings.MaxAge };
            if (settings.Keep is < 1)
            {
                throw new UsageException($"--keep {settings.Keep} would keep nothing; use 1 or more");
            }

            var run = await new BackupService(config, context.Connector, host.Clock).RunAsync(
                new BackupRunRequest { Environment = environment, Database = parse.GetValue(database), Settings = settings }, new ProgressLines(context), cancellationToken);
            var (entry, manifest, expired) = (run.Entry, run.Manifest, run.Expired);
            if (context.Json)
            {
                context.WriteJson(new
                {
                    id = entry.Id, environment = entry.Environment, database = entry.Database, status = "complete", path = entry.Path,
                    sizeBytes = entry.SizeBytes, tables = entry.Tables, rows = entry.Rows, snapshotTime = manifest.SnapshotTime,
                    durationSeconds = Math.Round(run.Duration.TotalSeconds, 3), proven = false, expired = expired.Select(e => e.Id),
                });
            }
            else
            {
                context.Console.MarkupLineInterpolated(
                    $"[green]Backup {entry.Id}[/] of {environment.Name} (database {entry.Database}): {Humanize.Count(entry.Tables ?? 0)} tables, {Humanize.Count(entry.Rows ?? 0)} rows, {Humanize.Bytes(entry.SizeBytes ?? 0)} in {Humanize.Span(run.Duration)}.");
                context.Console.MarkupLineInterpolated($"[grey]{entry.Path}[/]");
                foreach (var gone in expired)
                {
                    context.Console.MarkupLineInterpolated($"Removed backup {gone.Id} ({gone.Message}).");
                }

                context.Console.MarkupLineInterpolated($"It is not proven until a restore drill passes: `backstop backup verify {entry.Id} -e {environment.Name}`.");
            }

            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Verify(CliHost host)
    {
        var environmentOption = EnvironmentOption.Required();
        var id = new Argument<string?>("ID") { Description = "The backup to drill (default: the latest complete one)", Arity = ArgumentArity.ZeroOrOne };
        var latest = new Option<bool>("--latest") { Description = "Drill the latest complete backup" };
        var jobs = new Option<int?>("--jobs", "-j") { Description = "Parallel pg_restore and pg_amcheck jobs (default: backup.jobs, else 2)" };
        var keepSandbox = new Option<bool>("--keep-sandbox") { Description = "Leave the drill's sandbox running to look at it (stop it with `backstop sandbox stop NAME`)" };
        var verifyDatabase = new Option<string?>("--database") { Description = "With --latest (or no ID): the latest backup of this database (default: the environment's own)" };
        var thorough = new Option<bool>("--thorough") { Description = "pg_amcheck also looks up every heap tuple in every index and every index tuple from the root (--heapallindexed --rootdescend): several times slower" };
        var command = new Command("verify", "The restore drill: check the manifest, restore into a sandbox, compare every table's rows and fingerprint, run pg_amcheck, check constraints; record the result")
        {
            environmentOption, id, latest, jobs, keepSandbox, thorough, verifyDatabase,
        };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var environment = config.Environment(parse.GetValue(environmentOption)!);
            var requested = parse.GetValue(id);
            if (requested is not null && parse.GetValue(latest))
            {
                throw new UsageException("give a backup ID or --latest, not both");
            }

            var request = new BackupVerifyRequest
            {
                Environment = environment,
                Id = requested,
                Database = parse.GetValue(verifyDatabase),
                Jobs = parse.GetValue(jobs),
                KeepSandbox = parse.GetValue(keepSandbox),
                Thorough = parse.GetValue(thorough),
            };
            var (backup, result, durations) = await new BackupService(config, context.Connector, host.Clock).VerifyAsync(request, new ProgressLines(context).Steps, cancellationToken);
            if (context.Json)
            {
                context.WriteJson(new
                {
                    backup = backup.Id, environment = environment.Name, passed = result.Passed, drill = result.Entry.Id,
                    failures = result.Failures.Select(f => new { check = f.Check, @object = f.Object, message = f.Message }),
                    durationsSeconds = durations, sandbox = result.SandboxUrl,
                });
            }
            else
            {
                var steps = string.Join(", ", durations.Select(d => $"{d.Key} {d.Value:0.0} s"));
                if (result.Passed)
                {
                    context.Console.MarkupLineInterpolated($"[green]Drill passed:[/] backup {backup.Id} of {environment.Name} restores, and every table's rows and fingerprint, the sequences, large objects, indexes (pg_amcheck) and constraints check out ({steps}).");
                }
                else
                {
                    context.Console.MarkupLineInterpolated($"[red]Drill failed:[/] backup {backup.Id} of {environment.Name} is not proven ({steps}).");
                    foreach (var failure in result.Failures.Take(20))
                    {
                        context.Console.MarkupLineInterpolated($"  [red]✗[/] {failure.Check}: [bold]{failure.Object}[/]: {failure.Message}");
                    }
                }

                if (result.SandboxUrl is { } url)
                {
                    context.Console.MarkupLineInterpolated($"The drill's sandbox is still running: {url}");
                }
            }

            return result.Passed ? ExitCodes.Done : ExitCodes.RuntimeError;
        });
        return command;
    }

    private static Command List(CliHost host)
    {
        var environmentOption = EnvironmentOption.Optional();
        var all = new Option<bool>("--all") { Description = "Include failed, interrupted and expired backups" };
        var command = new Command("list", "List backups with their size, age and last drill") { environmentOption, all };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var name = parse.GetValue(environmentOption);
            var listings = await new BackupService(config, context.Connector, host.Clock).ListAsync(name, parse.GetValue(all), cancellationToken);
            var now = host.Clock.GetUtcNow();
            if (context.Json)
            {
                context.WriteJson(new
                {
                    backups = listings.Select(listing =>
                    {
                        var b = listing.Backup;
                        return new
                        {
                            id = b.Id, environment = b.Environment, database = b.Database, status = b.Status.ToString().ToLowerInvariant(), usable = b.Status == BackupStatus.Complete,
                            startedAt = b.StartedAt, finishedAt = b.FinishedAt, sizeBytes = b.SizeBytes, tables = b.Tables, rows = b.Rows, path = b.Path, message = b.Message,
                            lastDrill = listing.LastDrill is { } d ? new { passed = d.Passed, at = d.FinishedAt, failedCheck = d.FailedCheck, failedObject = d.FailedObject } : null,
                        };
                    }),
                });
                return ExitCodes.Done;
            }

            if (listings.Count == 0)
            {
                context.Console.WriteLine(name is null ? "No backups yet; take one with `backstop backup run -e ENV`." : $"No backups of {name} yet; take one with `backstop backup run -e {name}`.");
                return ExitCodes.Done;
            }

            var table = new Table().AddColumns("Environment", "ID", "Database", "Status", "Taken", "Size", "Tables", "Rows", "Last drill");
            foreach (var (b, lastDrill) in listings)
            {
                var drill = lastDrill switch
                {
                    null => "[yellow]never[/]",
                    { Passed: true } d => $"[green]passed[/] {Markup.Escape(Humanize.Age(now - d.FinishedAt))}",
                    var d => $"[red]failed[/] ({Markup.Escape(d.FailedCheck ?? "")}: {Markup.Escape(d.FailedObject ?? "")})",
                };
                var status = b.Status switch
                {
                    BackupStatus.Complete => "[green]complete[/]",
                    BackupStatus.Running => "[blue]running[/]",
                    _ => $"[red]{b.Status.ToString().ToLowerInvariant()}[/]",
                };
                table.AddRow(
                    Markup.Escape(b.Environment), Markup.Escape(b.Id), Markup.Escape(b.Database), status, Humanize.Age(now - b.StartedAt),
                    b.SizeBytes is { } size ? Humanize.Bytes(size) : "", b.Tables?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
                    b.Rows is { } rows ? Humanize.Count(rows) : "", drill);
            }

            context.Console.Write(table);
            return ExitCodes.Done;
        });
        return command;
    }

    private static TimeSpan? ParseAge(string? text, string option) =>
        text is null ? null : Durations.TryParse(text, out var age) ? age : throw new UsageException($"{option} '{text}' is not a duration; use e.g. 30d, 12h or 90m");
}
