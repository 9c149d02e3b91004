using System.CommandLine;
using Backstop.Core.Audit;
using Spectre.Console;

namespace Backstop.Cli;

/// <summary>
/// Changes made by the CLI on its own go into the audit log of its state store too, as <c>local:USER</c>: a run, an
/// undo, a repair, a purge, a recovered database, a backup, a drill, a restore, a restore or purge of the recycle bin, a snapshot made or loaded.
/// A command that went through the team server is audited there instead, once.
/// </summary>
internal static class LocalAudit
{
    private static readonly HashSet<string> Commands = new(StringComparer.Ordinal)
    {
        "run", "undo", "repair", "purge", "recover-database", "backup run", "backup verify", "backup restore", "trash restore", "trash purge", "pitr backup", "pitr verify",
        "snapshot create", "snapshot load",
    };

    /// <summary>Whether the command went through the team server (which audits it).</summary>
    private static bool Signed(CommandContext context)
    {
        try
        {
            return context.Remote is not null;
        }
        catch (UsageException)
        {
            return false;
        }
    }

    public static async Task RecordAsync(CommandContext context, ParseResult parse, int exitCode)
    {
        var command = parse.CommandResult.Command;
        var name = command.Parents.OfType<Command>().FirstOrDefault() is { } parent and not RootCommand ? $"{parent.Name} {command.Name}" : command.Name;
        if (!Commands.Contains(name) || context.Host.AuditedByServer || Signed(context))
        {
            return;
        }

        string? environment;
        try
        {
            environment = parse.GetValue<string?>("--env");
        }
        catch (InvalidOperationException)
        {
            environment = null;
        }

        try
        {
            var config = context.LoadConfig();
            var log = await context.OpenAuditLogAsync(config, CancellationToken.None);
            await log.AppendAsync(new AuditRecord
            {
                Actor = "local:" + context.Host.Actor,
                Action = name.Replace(' ', '.'),
                Environment = environment,
                Outcome = exitCode switch
                {
                    ExitCodes.Done => "ok",
                    ExitCodes.Denied => "denied",
                    ExitCodes.NeedsConfirmation => "needs-confirmation",
                    ExitCodes.Conflicts => "conflicts",
                    _ => "failed",
                },
                Detail = new Dictionary<string, string> { ["exitCode"] = exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            }, CancellationToken.None);
        }
        catch (Exception e) when (e is Core.Configuration.ConfigException or IOException or System.Data.Common.DbException or Core.Environments.ConnectionFailedException)
        {
            // No configuration or state to record in (the command failed before it reached them), or the store is gone.
            if (exitCode == ExitCodes.Done)
            {
                context.ErrorConsole.MarkupLineInterpolated($"[yellow]warning:[/] the command was done, but recording it in the audit log failed: {e.Message}");
            }
        }
    }
}
