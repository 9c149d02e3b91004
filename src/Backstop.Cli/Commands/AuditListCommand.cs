using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary><c>backstop audit list</c>: the newest audit entries, by actor and from a time.</summary>
internal static class AuditListCommand
{
    public static Command Create(CliHost host)
    {
        var since = new Option<string?>("--since") { Description = "Only entries from this time on (ISO 8601, e.g. 2026-03-04T10:00:00Z; without an offset, UTC)" };
        var actor = new Option<string?>("--actor") { Description = "Only entries by this actor" };
        var limit = new Option<int>("--limit") { Description = "How many to show", DefaultValueFactory = _ => 50 };
        var command = new Command("list", "List audit entries, newest first") { since, actor, limit };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var count = parse.GetValue(limit);
            if (count < 1)
            {
                throw new UsageException($"--limit {count} is not a number of entries to show; give 1 or more (the default is 50)");
            }

            var from = parse.GetValue(since) is { } text ? Time(text) : (DateTimeOffset?)null;
            var log = await context.AuditLogAsync(cancellationToken);
            var entries = await log.ListAsync(from, parse.GetValue(actor), count, cancellationToken);
            if (context.Json)
            {
                context.WriteJson(new { entries });
                return ExitCodes.Done;
            }

            if (entries.Count == 0)
            {
                context.Console.WriteLine("No audit entries.");
                return ExitCodes.Done;
            }

            var table = new Table().AddColumns("Seq", "At (UTC)", "Actor", "From", "Action", "Environment", "Object", "Outcome");
            foreach (var e in entries)
            {
                table.AddRow(
                    e.Seq.ToString(CultureInfo.InvariantCulture),
                    e.At.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                    Markup.Escape(e.Actor),
                    Markup.Escape(e.From ?? ""),
                    Markup.Escape(e.Action),
                    Markup.Escape(e.Environment ?? ""),
                    Markup.Escape(e.Object ?? ""),
                    Markup.Escape(e.Outcome));
            }

            context.Console.Write(table);
            return ExitCodes.Done;
        });
        return command;
    }

    private static DateTimeOffset Time(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : throw new UsageException($"--since '{text}' is not a time; give one in ISO 8601, such as 2026-03-04T10:00:00Z");
}
