using System.CommandLine;
using Backstop.Cli.Rendering;
using Backstop.Recovery.Catalog;
using Backstop.Recovery.Pitr;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>
/// <c>backstop pitr enable | backup | clone | verify</c>: point-in-time recovery of a cluster on this machine, with
/// pgBackRest archiving its WAL (docs/pitr.md).
/// </summary>
internal static class PitrCommand
{
    public static Command Create(CliHost host)
    {
        var command = new Command("pitr", "Point-in-time recovery with pgBackRest: continuous WAL archiving, backups, clones of any moment, drills");
        command.Add(Enable(host));
        command.Add(Backup(host));
        command.Add(PitrCloneCommand.Clone(host));
        command.Add(PitrCloneCommand.Verify(host));
        return command;
    }

    /// <summary>
    /// Like <see cref="BackstopApp.SetHandler"/>, and a <see cref="PitrException"/> exits 2 when the request cannot be
    /// met as given (a time before the first backup, in the future) and 1 otherwise.
    /// </summary>
    public static void SetHandler(Command command, CliHost host, Func<CommandContext, ParseResult, CancellationToken, Task<int>> handler) =>
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            try
            {
                return await handler(context, parse, cancellationToken);
            }
            catch (PitrException e) when (e.IsUsageError)
            {
                throw new UsageException(e.Message);
            }
            catch (PitrException e)
            {
                context.ErrorConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
                if (context.Json)
                {
                    context.WriteJson(new { error = e.Message, exitCode = ExitCodes.RuntimeError });
                }

                return ExitCodes.RuntimeError;
            }
        });

    /// <summary>Progress lines on standard error, in order (Progress&lt;T&gt; would post them to the thread pool).</summary>
    public static IProgress<string> Steps(CommandContext context) => new StepLines(context);

    private static Command Enable(CliHost host)
    {
        var environmentOption = EnvironmentOption.Required();
        var pgdata = new Option<string>("--pgdata") { Description = "The cluster's data directory on this machine (SHOW data_directory)", Required = true };
        var restart = new Option<bool>("--restart") { Description = "Restart the cluster with pg_ctl when archive_mode has to change (otherwise Backstop prints the command and stops)" };
        var repository = new Option<string?>("--repository") { Description = "The pgBackRest repository (default: .backstop/pitr/ENV/repo beside backstop.yaml)" };
        var stanza = new Option<string?>("--stanza") { Description = "The pgBackRest stanza (default: the environment's name)" };
        var command = new Command("enable", "Set up WAL archiving into pgBackRest: write its configuration, set archive_mode and archive_command, create the stanza, check, record it in backstop.yaml")
        {
            environmentOption, pgdata, restart, repository, stanza,
        };
        SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var environment = config.Environment(parse.GetValue(environmentOption)!);
            var options = new EnableOptions
            {
                DataDirectory = Path.GetFullPath(parse.GetValue(pgdata)!, host.WorkingDirectory),
                Restart = parse.GetValue(restart),
                Repository = parse.GetValue(repository) is { } r ? Path.GetFullPath(r, host.WorkingDirectory) : null,
                Stanza = parse.GetValue(stanza),
            };
            var result = await new PitrEnabler(config, context.Connector).EnableAsync(
                environment, options, line => context.Console.MarkupLineInterpolated($"[green]changed:[/] {line}"), Steps(context), cancellationToken);
            var layout = result.Layout;
            if (context.Json)
            {
                context.WriteJson(new
                {
                    environment = environment.Name, enabled = result.Enabled, stanza = layout.Stanza, repository = layout.Repository, configFile = layout.ConfigFile,
                    pgdata = layout.DataDirectory, changes = result.Changes, restartCommand = result.RestartCommand,
                });
            }

            if (result.RestartCommand is { } command)
            {
                context.ErrorConsole.MarkupLineInterpolated($"[yellow]archive_mode takes effect only when the cluster restarts[/]; Backstop stopped here. Restart it with:");
                context.ErrorConsole.WriteLine("    " + command);
                context.ErrorConsole.MarkupLineInterpolated(
                    $"then run `backstop pitr enable -e {environment.Name} --pgdata {layout.DataDirectory}` again to create the stanza and check archiving (or add --restart to let Backstop restart it).");
                return ExitCodes.NeedsConfirmation;
            }

            if (!context.Json)
            {
                context.Console.MarkupLineInterpolated(
                    $"[green]Point-in-time recovery is on for {environment.Name}[/]: WAL is archived into {layout.Repository} (stanza {layout.Stanza}); pgBackRest's check passed.");
                context.Console.MarkupLineInterpolated($"Take the first backup with `backstop pitr backup -e {environment.Name}`: clones can go back to any time after it.");
            }

            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Backup(CliHost host)
    {
        var environmentOption = EnvironmentOption.Required();
        var type = new Option<string?>("--type") { Description = "full, diff or incr (default: full when the repository has no backup, incr otherwise)" };
        type.AcceptOnlyFromAmong([.. PitrBackupRunner.Types]);
        var command = new Command("backup", "Take a pgBackRest backup of the whole cluster, the base that clones are restored from, and record it in the catalog")
        {
            environmentOption, type,
        };
        SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var environment = config.Environment(parse.GetValue(environmentOption)!);
            var stanza = await PitrStanza.OpenAsync(config, environment, cancellationToken);
            await using var source = await context.Connector.OpenAsync(environment, cancellationToken);
            var catalog = await context.OpenCatalogAsync(config, cancellationToken);
            var entry = await PitrBackupRunner.RunAsync(stanza, source, catalog, parse.GetValue(type), Steps(context), cancellationToken);
            var kind = entry.Id[^1] switch { 'F' => "full", 'D' => "diff", _ => "incr" };
            var duration = (entry.FinishedAt ?? entry.StartedAt) - entry.StartedAt;
            var recoverableFrom = (entry.FinishedAt ?? entry.StartedAt).AddSeconds(1);
            if (context.Json)
            {
                context.WriteJson(new
                {
                    id = entry.Id, environment = entry.Environment, type = kind, status = "complete", path = entry.Path, sizeBytes = entry.SizeBytes,
                    startedAt = entry.StartedAt, finishedAt = entry.FinishedAt, recoverableFrom,
                });
            }
            else
            {
                context.Console.MarkupLineInterpolated(
                    $"[green]Backup {entry.Id}[/] ({kind}) of {environment.Name}: {Humanize.Bytes(entry.SizeBytes ?? 0)} added to the repository in {Humanize.Span(duration)}.");
                context.Console.MarkupLineInterpolated($"Clones can go back to any time from {RecoveryTarget.Display(recoverableFrom)}: `backstop pitr clone -e {environment.Name} --time TIME`.");
            }

            return ExitCodes.Done;
        });
        return command;
    }

    private sealed class StepLines(CommandContext context) : IProgress<string>
    {
        public void Report(string value) => context.ErrorConsole.MarkupLineInterpolated($"[grey]{value}…[/]");
    }
}
