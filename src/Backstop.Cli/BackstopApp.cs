using System.CommandLine;
using Backstop.Cli.Commands;
using Backstop.Core.Changes;
using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Core.Preview;
using Backstop.Postgres.Connections;
using Backstop.Postgres.Sandbox;
using Spectre.Console;

namespace Backstop.Cli;

/// <summary>The <c>backstop</c> command: parses, dispatches to a verb, and maps failures to exit codes and clear messages.</summary>
internal static class BackstopApp
{
    // The global options are made anew for each invocation: an option added to a command keeps it as a parent, and the
    // team server runs commands concurrently (RemoteCommands).
    private static Option<string?> ConfigOption() => new("--config")
    {
        Description = "Path of backstop.yaml (default: $BACKSTOP_CONFIG, else ./backstop.yaml)",
        Recursive = true,
    };

    private static Option<bool> JsonOption() => new("--json")
    {
        Description = "Print one JSON object on standard output, for scripts",
        Recursive = true,
    };

    private static Option<bool> LocalOption() => new("--local")
    {
        Description = "Work on this machine with backstop.yaml's own credentials, even when signed in to a Backstop server",
        Recursive = true,
    };

    public static async Task<int> RunAsync(string[] args, CliHost host, CancellationToken cancellationToken)
    {
        if (await Remote.RemoteCommands.ForwardAsync(args, host, cancellationToken) is { } forwarded)
        {
            return forwarded;
        }

        var root = new RootCommand("Backstop: a safety net for production PostgreSQL. Preview exactly what a script will do, enforce policies per environment, and run it in one guarded transaction.")
        {
            ConfigOption(),
            JsonOption(),
            LocalOption(),
        };
        root.Add(InitCommand.Create(host));
        root.Add(EnvCommand.Create(host));
        root.Add(SandboxCommand.Create(host));
        root.Add(CheckCommand.Create(host));
        root.Add(RunCommand.Create(host));
        root.Add(ChangesCommand.Create(host));
        root.Add(ShowCommand.Create(host));
        root.Add(UndoCommand.Create(host));
        root.Add(TrashCommand.Create(host));
        root.Add(PurgeCommand.Create(host));
        root.Add(BackupCommand.Create(host));
        root.Add(SnapshotCommand.Create(host));
        root.Add(RepairCommand.Create(host));
        root.Add(PitrCommand.Create(host));
        root.Add(RecoverDatabaseCommand.Create(host));
        root.Add(ReviewCommand.Create(host));
        root.Add(ServerCommand.Create(host));
        root.Add(UserCommand.Create(host));
        root.Add(LoginCommand.Create(host));
        root.Add(LoginCommand.CreateLogout(host));
        foreach (var approvals in ApprovalsCommand.Create(host))
        {
            root.Add(approvals);
        }
        root.Add(AuditCommand.Create(host));
        root.Add(ScheduleCommand.Create(host));
        root.Add(NotifyCommand.Create(host));

        var parse = root.Parse(args);
        var invocation = new InvocationConfiguration { Output = host.Out, Error = host.Error, EnableDefaultExceptionHandler = false };
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await host.Error.WriteLineAsync("error: " + error.Message);
            }

            await host.Error.WriteLineAsync("run `backstop --help` (or `backstop COMMAND --help`) for usage");

            // The command line could not be read, so --json is looked for as given: a script still gets its document.
            if (args.Contains("--json", StringComparer.Ordinal))
            {
                new CommandContext(host, null, json: true).WriteJson(new { error = string.Join("; ", parse.Errors.Select(e => e.Message)), exitCode = ExitCodes.UsageError });
            }

            return ExitCodes.UsageError;
        }

        return await parse.InvokeAsync(invocation, cancellationToken);
    }

    /// <summary>Wraps a verb's work: builds its context and turns known failures into exit codes.</summary>
    public static void SetHandler(Command command, CliHost host, Func<CommandContext, ParseResult, CancellationToken, Task<int>> handler) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = new CommandContext(host, parse.GetValue<string?>("--config"), parse.GetValue<bool>("--json"), parse.GetValue<bool>("--local"));
            var exitCode = await RunHandlerAsync(context, parse, handler, cancellationToken);
            await LocalAudit.RecordAsync(context, parse, exitCode);
            return exitCode;
        });

    private static async Task<int> RunHandlerAsync(CommandContext context, ParseResult parse, Func<CommandContext, ParseResult, CancellationToken, Task<int>> handler, CancellationToken cancellationToken)
    {
        var host = context.Host;
        try
        {
            var code = await handler(context, parse, cancellationToken);
            if (context.Json && !context.WroteJson)
            {
                // Every path of every command prints a document with --json, even one that stopped without output of its own.
                context.WriteJson(new { exitCode = code, outcome = OutcomeOf(code), error = context.Refusal });
            }

            return code;
        }
        catch (Exception e) when (ExitCodeFor(e) is { } code)
        {
            var message = e.Message;
            context.ErrorConsole.MarkupLineInterpolated($"[red]error:[/] {message}");
            if (context.Json)
            {
                context.WriteJson(new { error = message, exitCode = code });
            }

            return code;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug of ours: say so plainly, with the detail needed for a report, and fail without a crash dump.
            context.ErrorConsole.MarkupLineInterpolated($"[red]error:[/] unexpected {e.GetType().Name}: {e.Message}");
            if (context.Json)
            {
                context.WriteJson(new { error = $"unexpected {e.GetType().Name}: {e.Message}", exitCode = ExitCodes.RuntimeError });
            }

            if (host.Variables("BACKSTOP_DEBUG") is not null)
            {
                context.ErrorConsole.WriteLine(e.ToString());
            }

            return ExitCodes.RuntimeError;
        }
    }

    private static string OutcomeOf(int exitCode) => exitCode switch
    {
        ExitCodes.Done => "done",
        ExitCodes.UsageError => "usageError",
        ExitCodes.Denied => "denied",
        ExitCodes.NeedsConfirmation => "needsConfirmation",
        ExitCodes.Conflicts => "conflicts",
        _ => "failed",
    };

    private static int? ExitCodeFor(Exception e) => e switch
    {
        Remote.RemoteException remote => remote.ExitCode,
        ConfigException or UsageException or ScriptRejectedException or TargetMismatchException or Recovery.Repair.RepairUsageException or Core.Capture.CaptureSchemaTooNewException => ExitCodes.UsageError,
        SandboxException { IsUsageError: true } or Recovery.Backups.BackupException { IsUsageError: true } or Recovery.Snapshots.SnapshotException { IsUsageError: true } => ExitCodes.UsageError,
        Recovery.Snapshots.SnapshotException => ExitCodes.RuntimeError,
        ConnectionFailedException or StatementFailedException or Core.Capture.CapturePrivilegeException or SandboxException or IOException or TimeoutException => ExitCodes.RuntimeError,
        _ when PgErrors.IsFromDatabase(e) => ExitCodes.RuntimeError,
        Core.Audit.AuditLogDamagedException => ExitCodes.RuntimeError,
        LockConflictException or OperationCanceledException or Recovery.Backups.BackupException or Core.Undo.UndoUnavailableException or Core.RecycleBin.RecycleBinException or Recovery.Repair.RepairTargetChangedException or Recovery.Repair.RepairNotFoundException => ExitCodes.RuntimeError,
        Recovery.Pitr.PitrException pitr => pitr.IsUsageError ? ExitCodes.UsageError : ExitCodes.RuntimeError,
        _ => null,
    };
}
