using System.CommandLine;
using Backstop.Cli.Rendering;
using Backstop.Core.Configuration;
using Backstop.Postgres.Connections;
using Backstop.Postgres.Sandbox;
using Backstop.Recovery.Backups;
using Npgsql;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary><c>backstop backup restore ID --to URL|ENV | --sandbox</c>.</summary>
internal static partial class BackupCommand
{
    private const string UserObjects = """
        SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
        """;

    private static Command Restore(CliHost host)
    {
        var environmentOption = EnvironmentOption.Required();
        var id = new Argument<string>("ID") { Description = "The backup to restore (see `backstop backup list`)" };
        var to = new Option<string?>("--to") { Description = "Where to restore: a postgresql:// URL or an environment's name; the database is created if it does not exist" };
        var sandbox = new Option<bool>("--sandbox") { Description = "Restore into a new sandbox cluster on this machine and print its URL" };
        var name = new Option<string?>("--name") { Description = "The sandbox's name (with --sandbox; default restore-ID)" };
        var force = new Option<bool>("--force") { Description = "Restore over a database that already holds objects (its objects of the same names are dropped first); asks for the typed name" };
        var confirm = new Option<string?>("--confirm") { Description = "With --force and no terminal: the target's environment name (or database name for a URL)" };
        var yes = new Option<bool>("--yes", "-y") { Description = "With --force: confirm without a prompt when the target is a development or staging environment (not enough for production or a URL: use --confirm NAME)" };
        var noOwner = new Option<bool>("--no-owner") { Description = "Do not restore owners and grants (for a server without the backup's roles)" };
        var jobs = new Option<int?>("--jobs", "-j") { Description = "Parallel pg_restore jobs (default: backup.jobs, else 2)" };
        var command = new Command("restore", "Restore a backup into a new database or a new sandbox; never over a non-empty database without --force and the typed name")
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

            var catalog = await context.OpenCatalogAsync(config, cancellationToken);
            var backup = await UsableBackupAsync(catalog, environment.Name, parse.GetValue(id), cancellationToken);
            var manifest = BackupManifest.Read(backup.Path);
            var damaged = await ManifestCheck.CheckAsync(backup.Path, manifest, cancellationToken);
            if (damaged.Count > 0)
            {
                throw new BackupException($"backup {backup.Id} does not match its manifest, so it is not restored: {string.Join("; ", damaged.Take(5))}");
            }

            var jobCount = parse.GetValue(jobs) ?? environment.Backup.Jobs;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            PgUrl target;
            string? sandboxName = null;
            if (destination is null)
            {
                var cluster = await SandboxCluster.StartAsync(new SandboxOptions { Name = parse.GetValue(name) ?? $"restore-{backup.Id}" }, null, cancellationToken);
                sandboxName = cluster.Info.Name;
                var maintenance = PgUrl.Parse(cluster.Url);
                target = maintenance.WithDatabase(manifest.Database);
                if (manifest.RolesIncluded)
                {
                    await DumpRestorer.CreateRolesAsync(backup.Path, maintenance, cancellationToken);
                }

                await DumpRestorer.CreateDatabaseAsync(maintenance, manifest.Database, cancellationToken, manifest.Encoding);
                await DumpRestorer.RestoreAsync(backup.Path, target, jobCount, clean: false, owners: manifest.RolesIncluded && !parse.GetValue(noOwner), null, cancellationToken);
            }
            else
            {
                var targetEnvironment = config.Environments.FirstOrDefault(e => e.Name == destination);
                if (targetEnvironment is not null)
                {
                    // The same identity check as every command that acts on an environment: not the wrong server.
                    await using var checkedTarget = await context.Connector.OpenAsync(targetEnvironment, cancellationToken);
                    target = checkedTarget.Url;
                }
                else
                {
                    target = ParseUrl(destination);
                }
                var clean = false;
                var objects = await CountObjectsAsync(target, cancellationToken);
                if (objects is null)
                {
                    await DumpRestorer.CreateDatabaseAsync(target.WithDatabase("postgres"), target.Database, cancellationToken);
                }
                else if (objects > 0)
                {
                    var typed = targetEnvironment?.Name ?? target.Database;
                    if (!parse.GetValue(force))
                    {
                        throw new UsageException($"database '{target.Database}' at {target.Endpoint} is not empty ({objects} objects); nothing was restored. Restore into a new database, or use --force to drop and replace its objects of the same names");
                    }

                    // Replacing an environment's tables is destructive DDL under its tier's policy.
                    if (targetEnvironment is not null && config.Policies[targetEnvironment.Tier].DestructiveDdl is var rule and (Core.Policies.Verdict.Deny or Core.Policies.Verdict.Approve))
                    {
                        context.Refusal = $"restoring over {targetEnvironment.Name} replaces its tables: destructive_ddl is '{rule.ToString().ToLowerInvariant()}' on the {targetEnvironment.Tier.ToString().ToLowerInvariant()} tier; nothing was restored";
                        context.ErrorConsole.MarkupLineInterpolated(
                            $"[red]Restoring over {targetEnvironment.Name} replaces its tables: destructive_ddl is '{rule.ToString().ToLowerInvariant()}' on the {targetEnvironment.Tier.ToString().ToLowerInvariant()} tier; nothing was restored.[/]");
                        return rule == Core.Policies.Verdict.Deny ? ExitCodes.Denied : ExitCodes.NeedsConfirmation;
                    }

                    var yesSuffices = parse.GetValue(yes) && targetEnvironment is { Tier: not Core.Configuration.Tier.Production };
                    if (!yesSuffices && !await ConfirmNameAsync(context, typed, parse.GetValue(confirm), parse.GetValue(yes), host.Interactive, cancellationToken))
                    {
                        return ExitCodes.NeedsConfirmation;
                    }

                    clean = true;
                }

                await DumpRestorer.RestoreAsync(backup.Path, target, jobCount, clean, owners: !parse.GetValue(noOwner), null, cancellationToken);
            }

            if (context.Json)
            {
                context.WriteJson(new { backup = backup.Id, environment = environment.Name, url = target.ToString(), sandbox = sandboxName, durationSeconds = Math.Round(watch.Elapsed.TotalSeconds, 3) });
            }
            else
            {
                context.ErrorConsole.MarkupLineInterpolated($"Restored backup {backup.Id} of {environment.Name} ({Humanize.Count(backup.Rows ?? 0)} rows) in {Humanize.Span(watch.Elapsed)}{(sandboxName is null ? "" : $" into sandbox {sandboxName} (stop it with `backstop sandbox stop {sandboxName}`)")}:");
                context.Console.WriteLine(target.ToString());
            }

            return ExitCodes.Done;
        });
        return command;
    }

    private static PgUrl ParseUrl(string text)
    {
        try
        {
            return PgUrl.Parse(text);
        }
        catch (FormatException e)
        {
            throw new UsageException($"--to is neither an environment nor a valid URL: {e.Message}");
        }
    }

    /// <summary>How many objects the database holds; null when it does not exist.</summary>
    private static async Task<long?> CountObjectsAsync(PgUrl url, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(url.ToConnectionString());
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand(UserObjects, connection);
            return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            return null;
        }
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

/// <summary>Progress of a backup or drill, as lines on standard error (cron-friendly: no animation, a line per step).</summary>
internal sealed class ProgressLines(CommandContext context) : IProgress<BackupProgress>
{
    private string? _phase;
    private int _decile = -1;

    public IProgress<string> Steps => new Progress<string>(step => context.ErrorConsole.MarkupLineInterpolated($"[grey]{step}…[/]"));

    public void Report(BackupProgress value)
    {
        lock (this)
        {
            if (value.Phase != _phase)
            {
                _phase = value.Phase;
                context.ErrorConsole.MarkupLineInterpolated($"[grey]{value.Phase}…[/]");
            }

            if (value.TablesTotal > 0 && value.TablesDone * 10 / value.TablesTotal is var decile && decile > _decile)
            {
                _decile = decile;
                context.ErrorConsole.MarkupLineInterpolated($"[grey]  {value.TablesDone} of {value.TablesTotal} tables dumped[/]");
            }
        }
    }
}
