using System.CommandLine;
using Backstop.Core.Configuration;
using Backstop.Core.Retention;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary><c>backstop purge</c>: removes before-images and recycle-bin tables older than the environment's retention.</summary>
internal static class PurgeCommand
{
    public static Command Create(CliHost host)
    {
        var environmentOption = EnvironmentOption.Required();
        var olderThan = new Option<string?>("--older-than") { Description = "Override the environment's retention (default 30d), e.g. 7d or 12h" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Confirm an --older-than shorter than the retention without a prompt (not enough on production: use --confirm NAME)" };
        var confirm = new Option<string?>("--confirm") { Description = "Confirm on production without a prompt by giving the environment's name" };
        var command = new Command("purge", "Remove before-images and recycle-bin tables older than the retention; changes purged can no longer be undone")
        {
            environmentOption, olderThan, yes, confirm,
        };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var config = context.LoadConfig();
            var environment = config.Environment(parse.GetValue(environmentOption)!);
            var age = environment.Retention;
            if (parse.GetValue(olderThan) is { } text && !Durations.TryParse(text, out age) && text is not ("0" or "0s"))
            {
                throw new UsageException($"--older-than '{text}' is not a duration; use e.g. 7d, 12h or 30m");
            }

            // Purging by the environment's own retention is routine; purging younger images gives up undo early: confirm it.
            if (age < environment.Retention)
            {
                context.Console.MarkupLineInterpolated($"This purges images and bin tables younger than the retention of {environment.Name} ({environment.Retention.TotalDays:0.##} days): changes they belong to can no longer be undone.");
                if (!await GuardedRun.ConfirmAsync(context, environment, parse.GetValue(yes), parse.GetValue(confirm), host.Interactive, cancellationToken))
                {
                    return ExitCodes.NeedsConfirmation;
                }
            }

            await using var target = await context.Connector.OpenAsync(environment, cancellationToken);
            var result = await RetentionPurge.PurgeAsync(target.Connection, age, cancellationToken);
            if (context.Json)
            {
                context.WriteJson(new { olderThanSeconds = age.TotalSeconds, changes = result.Changes, imageTables = result.ImageTables, trashTables = result.TrashTables, bytesFreed = result.Bytes });
            }
            else
            {
                context.Console.MarkupLineInterpolated(
                    $"Purged the before-images of {result.Changes} changes ({result.ImageTables} image tables) and {result.TrashTables} recycle-bin tables older than {age.TotalDays:0.##} days, freeing {result.Bytes / 1024.0 / 1024.0:N1} MiB.");
            }

            return ExitCodes.Done;
        });
        return command;
    }
}
