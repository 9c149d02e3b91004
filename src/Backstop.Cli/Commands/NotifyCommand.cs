using System.CommandLine;
using System.Globalization;
using Backstop.Core.Notifications;
using Backstop.Core.Team;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary><c>backstop notify list</c>: the webhook deliveries the servers recorded, with their tries and last error (docs/schedules.md).</summary>
internal static class NotifyCommand
{
    public static Command Create(CliHost host)
    {
        var command = new Command("notify", "Webhook notifications: what was sent, and what could not be");
        var failed = new Option<bool>("--failed") { Description = "Only those whose every try failed" };
        var limit = new Option<int>("--limit") { Description = "How many to show", DefaultValueFactory = _ => 50 };
        var list = new Command("list", "Notifications, newest first: event, webhook (by name), tries, and why the last one failed") { failed, limit };
        BackstopApp.SetHandler(list, host, async (context, parse, cancellationToken) =>
        {
            var count = parse.GetValue(limit);
            if (count < 1)
            {
                throw new UsageException($"--limit {count} is not a number of notifications to show; give 1 or more (the default is 50)");
            }

            var config = context.LoadConfig();
            var store = new NotificationStore(await TeamDatabase.OpenAsync(context.StateLocation(config), context.Note, cancellationToken));
            var notifications = await store.ListAsync(parse.GetValue(failed) ? NotificationStatuses.Failed : null, count, cancellationToken);
            if (context.Json)
            {
                context.WriteJson(new { notifications });
                return ExitCodes.Done;
            }

            if (notifications.Count == 0)
            {
                context.Console.WriteLine(parse.GetValue(failed) ? "No failed notifications." : "No notifications recorded.");
                return ExitCodes.Done;
            }

            var table = new Table().AddColumns("Id", "At (UTC)", "Event", "Environment", "Webhook", "Tries", "Status", "Last error");
            foreach (var n in notifications)
            {
                var status = n.Status switch
                {
                    NotificationStatuses.Delivered => "[green]delivered[/]",
                    NotificationStatuses.Failed => "[red]failed[/]",
                    _ => "[yellow]sending[/]",
                };
                table.AddRow(
                    n.Id.ToString(CultureInfo.InvariantCulture), n.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), n.Event,
                    Markup.Escape(n.Environment ?? ""), Markup.Escape(n.Webhook), n.Attempts.ToString(CultureInfo.InvariantCulture), status, Markup.Escape(n.LastError ?? ""));
            }

            context.Console.Write(table);
            return ExitCodes.Done;
        });
        command.Add(list);
        return command;
    }
}
