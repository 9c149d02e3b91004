using System.CommandLine;
using Backstop.Cli.Rendering;
using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Postgres.Catalog;
using Backstop.Recovery.Backups;
using Backstop.Recovery.Catalog;
using Npgsql;
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

    internal static BackupRepository RepositoryFor(BackstopConfig config, EnvironmentConfig environment)
    {
        var root = environment.Backup.Repository is { } configured
            ? Path.GetFullPath(configured, Path.GetDirectoryName(config.Path)!)
            : Path.Combine(config.StateDirectory, "backups");
        return new BackupRepository(root, environment.Name);
    }

    /// <summary>For a script with DROP DATABASE: per database of the target's server, when its newest proven backup was taken.</summary>
    internal static async Task<IReadOnlyDictionary<string, DateTimeOffset>> ProvenBackupsAsync(
        CommandContext context, BackstopConfig config, ServerIdentity identity, IReadOnlyList<Core.Changes.AnalyzedStatement> statements, CancellationToken cancellationToken)
    {
        if (!statements.Any(s => s.Info.Kind == Backstop.Sql.Classification.StatementKind.DropDatabase))
        {
            return new Dictionary<string, DateTimeOffset>();
        }

        var sameServer = config.Environments
            .Where(e => e.Identity is { } known && known.SystemIdentifier == identity.SystemIdentifier && known.Host == identity.Host && known.Port == identity.Port)
            .Select(e => e.Name)
            .ToHashSet(StringComparer.Ordinal);
        return await BackupProofs.ForServerAsync(await context.OpenCatalogAsync(config, cancellationToken), identity.SystemIdentifier, sameServer, cancellationToken);
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

            await using var target = await context.Connector.OpenAsync(environment, cancellationToken);
            var (connection, url, identity) = await OtherDatabaseAsync(target, parse.GetValue(database), cancellationToken);
            await using var _ = connection == target.Connection ? null : connection;
            var catalog = await context.OpenCatalogAsync(config, cancellationToken);
            var repository = RepositoryFor(config, environment);
            var runner = new BackupRunner(catalog, repository, host.Clock);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var reporter = new ProgressLines(context);
            var (entry, manifest) = await runner.RunAsync(environment.Name, connection, url, identity, settings, reporter, cancellationToken);
            var expired = await BackupRetention.ApplyAsync(catalog, environment.Name, entry.Database, settings.Keep, settings.MaxAge, host.Clock.GetUtcNow(), cancellationToken);
            if (context.Json)
            {
                context.WriteJson(new
                {
                    id = entry.Id, environment = entry.Environment, database = entry.Database, status = "complete", path = entry.Path,
                    sizeBytes = entry.SizeBytes, tables = entry.Tables, rows = entry.Rows, snapshotTime = manifest.SnapshotTime,
                    durationSeconds = Math.Round(watch.Elapsed.TotalSeconds, 3), proven = false, expired = expired.Select(e => e.Id),
                });
            }
            else
            {
                context.Console.MarkupLineInterpolated(
                    $"[green]Backup {entry.Id}[/] of {environment.Name} (database {entry.Database}): {Humanize.Count(entry.Tables ?? 0)} tables, {Humanize.Count(entry.Rows ?? 0)} rows, {Humanize.Bytes(entry.SizeBytes ?? 0)} in {Humanize.Span(watch.Elapsed)}.");
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

            var catalog = await context.OpenCatalogAsync(config, cancellationToken);
            await BackupRunner.SettleAsync(catalog, RepositoryFor(config, environment), environment.Name, cancellationToken);
            var backup = await UsableBackupAsync(catalog, environment.Name, requested, cancellationToken, requested is null ? parse.GetValue(verifyDatabase) ?? OwnDatabase(context, environment) : null);
            var drill = new RestoreDrill(catalog, host.Clock);
            var result = await drill.RunAsync(backup, parse.GetValue(jobs) ?? environment.Backup.Jobs, parse.GetValue(keepSandbox), new ProgressLines(context).Steps, parse.GetValue(thorough), cancellationToken);
            var durations = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, double>>(result.Entry.Durations) ?? [];
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
            var environments = name is null ? config.Environments : [config.Environment(name)];
            var catalog = await context.OpenCatalogAsync(config, cancellationToken);
            foreach (var environment in environments)
            {
                await BackupRunner.SettleAsync(catalog, RepositoryFor(config, environment), environment.Name, cancellationToken);
            }

            var now = host.Clock.GetUtcNow();
            var backups = (await catalog.ListAsync(name, cancellationToken))
                .Where(b => b.Kind == "logical" && (parse.GetValue(all) || b.Status is BackupStatus.Complete or BackupStatus.Running))
                .ToList();
            var drills = (await catalog.ListDrillsAsync(name, cancellationToken)).Where(d => d.Kind == "logical").ToList();
            DrillEntry? LastDrill(BackupEntry b) => drills.FirstOrDefault(d => d.Environment == b.Environment && d.BackupId == b.Id);
            if (context.Json)
            {
                context.WriteJson(new
                {
                    backups = backups.Select(b => new
                    {
                        id = b.Id, environment = b.Environment, database = b.Database, status = b.Status.ToString().ToLowerInvariant(), usable = b.Status == BackupStatus.Complete,
                        startedAt = b.StartedAt, finishedAt = b.FinishedAt, sizeBytes = b.SizeBytes, tables = b.Tables, rows = b.Rows, path = b.Path, message = b.Message,
                        lastDrill = LastDrill(b) is { } d ? new { passed = d.Passed, at = d.FinishedAt, failedCheck = d.FailedCheck, failedObject = d.FailedObject } : null,
                    }),
                });
                return ExitCodes.Done;
            }

            if (backups.Count == 0)
            {
                context.Console.WriteLine(name is null ? "No backups yet; take one with `backstop backup run -e ENV`." : $"No backups of {name} yet; take one with `backstop backup run -e {name}`.");
                return ExitCodes.Done;
            }

            var table = new Table().AddColumns("Environment", "ID", "Database", "Status", "Taken", "Size", "Tables", "Rows", "Last drill");
            foreach (var b in backups)
            {
                var drill = LastDrill(b) switch
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

    private static Command Status(CliHost host)
    {
        var environmentOption = EnvironmentOption.Optional();
        var strict = new Option<bool>("--strict") { Description = "Exit 1 when an environment's last proven restore is missing or older than its limit (for cron and monitoring)" };
        var command = new Command("status", "Per environment: the last backup's age and size, and the last proven restore's age against the limit (backup.proven_within, default 24h)")
        {
            environmentOption, strict,
        };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var name = parse.GetValue(environmentOption);
            var environments = name is null ? config.Environments : [config.Environment(name)];
            var catalog = await context.OpenCatalogAsync(config, cancellationToken);
            var now = host.Clock.GetUtcNow();
            var health = new List<BackupHealth>();
            foreach (var environment in environments)
            {
                await BackupRunner.SettleAsync(catalog, RepositoryFor(config, environment), environment.Name, cancellationToken);
                health.Add(await BackupHealth.ReadAsync(catalog, environment.Name, OwnDatabase(context, environment), environment.Backup.ProvenWithin, now, cancellationToken));
            }

            var stale = health.Where(h => h.Stale).ToList();
            if (context.Json)
            {
                context.WriteJson(new
                {
                    ok = stale.Count == 0,
                    environments = health.Select(h => new
                    {
                        environment = h.Environment, stale = h.Stale, limitSeconds = h.Limit.TotalSeconds,
                        lastBackup = h.LastBackup is { } b ? new { id = b.Id, at = b.StartedAt, ageSeconds = Math.Round(h.LastBackupAge!.Value.TotalSeconds), sizeBytes = b.SizeBytes } : null,
                        lastProvenRestore = h.LastProvenBackup is { } p ? new { backup = p.Id, backupAt = p.StartedAt, ageSeconds = Math.Round(h.LastProvenAge!.Value.TotalSeconds), drilledAt = h.LastPassedDrill!.FinishedAt } : null,
                        lastDrill = h.LastDrill is { } d ? new { backup = d.BackupId, passed = d.Passed, at = d.FinishedAt, failedCheck = d.FailedCheck, failedObject = d.FailedObject } : null,
                    }),
                });
            }
            else
            {
                var table = new Table().AddColumns("Environment", "Last backup", "Size", "Last proven restore", "Limit", "Status");
                foreach (var h in health)
                {
                    var proven = h.LastProvenBackup is null ? "[yellow]never[/]" : $"{Markup.Escape(Humanize.Age(h.LastProvenAge!.Value))} (backup {Markup.Escape(h.LastProvenBackup.Id)})";
                    var state = h.Stale ? "[red]STALE[/]" : "[green]ok[/]";
                    if (h.LastDrill is { Passed: false } failed)
                    {
                        state += $" [red](last drill failed: {Markup.Escape(failed.FailedCheck ?? "")} {Markup.Escape(failed.FailedObject ?? "")})[/]";
                    }

                    table.AddRow(
                        Markup.Escape(h.Environment), h.LastBackup is null ? "[yellow]none[/]" : Humanize.Age(h.LastBackupAge!.Value),
                        h.LastBackup?.SizeBytes is { } size ? Humanize.Bytes(size) : "", proven, Humanize.Span(h.Limit), state);
                }

                context.Console.Write(table);
                foreach (var h in stale)
                {
                    context.ErrorConsole.MarkupLineInterpolated(
                        $"[yellow]warning:[/] {h.Environment} has {(h.LastProvenBackup is null ? "no proven restore" : $"no restore proven in the last {Humanize.Span(h.Limit)}")}; run `backstop backup run -e {h.Environment}` and `backstop backup verify --latest -e {h.Environment}`.");
                }
            }

            return parse.GetValue(strict) && stale.Count > 0 ? ExitCodes.RuntimeError : ExitCodes.Done;
        });
        return command;
    }

    /// <summary>The environment's own database (its recorded identity's, else its URL's).</summary>
    internal static string OwnDatabase(CommandContext context, EnvironmentConfig environment) =>
        environment.Identity?.Database ?? context.Connector.ResolveUrl(environment).Database;

    /// <param name="database">for the latest (no id): the latest backup of this database.</param>
    internal static async Task<BackupEntry> UsableBackupAsync(IBackupCatalog catalog, string environment, string? id, CancellationToken cancellationToken, string? database = null)
    {
        var backups = (await catalog.ListAsync(environment, cancellationToken)).Where(b => b.Kind == "logical").ToList();
        if (id is null)
        {
            var of = database is null ? "" : $" of database {database}";
            return backups.FirstOrDefault(b => b.Status == BackupStatus.Complete && (database is null || b.Database == database))
                ?? throw new UsageException($"{environment} has no complete backup{of}; take one with `backstop backup run -e {environment}{(database is null ? "" : $" --database {database}")}`");
        }

        var backup = backups.FirstOrDefault(b => b.Id == id)
            ?? throw new UsageException($"{environment} has no backup '{id}'; `backstop backup list -e {environment}` shows them");
        return backup.Status == BackupStatus.Complete
            ? backup
            : throw new UsageException($"backup {id} of {environment} is {backup.Status.ToString().ToLowerInvariant()}, not complete, so it cannot be used{(backup.Message is { } m ? $" ({m})" : "")}");
    }

    private static TimeSpan? ParseAge(string? text, string option) =>
        text is null ? null : Durations.TryParse(text, out var age) ? age : throw new UsageException($"{option} '{text}' is not a duration; use e.g. 30d, 12h or 90m");

    private static async Task<(NpgsqlConnection Connection, Backstop.Postgres.Connections.PgUrl Url, ServerIdentity Identity)> OtherDatabaseAsync(
        ConnectedEnvironment target, string? database, CancellationToken cancellationToken)
    {
        if (database is null || database == target.Identity.Database)
        {
            return (target.Connection, target.Url, target.Identity);
        }

        var url = target.Url.WithDatabase(database);
        var (connection, identity) = await EnvironmentConnector.ConnectAsync(target.Environment.Name, url, cancellationToken);
        return (connection, url, identity);
    }
}
