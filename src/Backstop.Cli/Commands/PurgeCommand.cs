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
        var command = new Command("purge", "Remove before-images and recycle-bin tables older than the retention; changes purged can no longer be undone")
        {
            environmentOption, olderThan,
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
