using System.CommandLine;
using System.Globalization;
using Backstop.Core.Schedules;
using Backstop.Cli.Rendering;
using Backstop.Core.Team;
using Spectre.Console;

namespace Backstop.Cli.Commands;

/// <summary>
/// <c>backstop schedule list</c> and <c>schedule runs</c>: the schedules of backstop.yaml with their next slot and the
/// outcome of their latest, and the recorded slots, read from the state the servers share (docs/schedules.md).
/// </summary>
internal static class ScheduleCommand
{
    public static Command Create(CliHost host)
    {
        var command = new Command("schedule", "The schedules the team server runs: backups, drills, PITR backups and drills, purges");
        command.Add(List(host));
        command.Add(Runs(host));
        return command;
    }

    private static Command List(CliHost host)
    {
        var environment = EnvironmentOption.Optional();
        var command = new Command("list", "Each schedule with its cron expression, next slot, and its latest slot's outcome") { environment };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var service = await ServiceAsync(context, host, cancellationToken);
            var schedules = await service.ListAsync(parse.GetValue(environment), cancellationToken);
            if (context.Json)
            {
                context.WriteJson(new { schedules });
                return ExitCodes.Done;
            }

            if (schedules.Count == 0)
            {
                context.Console.WriteLine("No schedules; add a schedule: section to an environment in backstop.yaml (docs/schedules.md).");
                return ExitCodes.Done;
            }

            var table = new Table().AddColumns("Environment", "Kind", "Cron", "Time zone", "Next (UTC)", "Last slot (UTC)", "Outcome", "Message");
            foreach (var s in schedules)
            {
                table.AddRow(
                    Markup.Escape(s.Environment), s.Kind, Markup.Escape(s.Cron), Markup.Escape(s.TimeZone), Time(s.Next),
                    Time(s.Last?.Slot), Outcome(s.Last?.Outcome), Markup.Escape(s.Last?.Message ?? ""));
            }

            context.Console.Write(table);
            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Runs(CliHost host)
    {
        var environment = EnvironmentOption.Optional();
        var kind = new Option<string?>("--kind") { Description = "Only this kind: " + string.Join(", ", ScheduleKinds.All) };
        kind.AcceptOnlyFromAmong([.. ScheduleKinds.All]);
        var limit = new Option<int>("--limit") { Description = "How many to show", DefaultValueFactory = _ => 50 };
        var command = new Command("runs", "The recorded slots, newest first: who ran each, when, how it ended") { environment, kind, limit };
        BackstopApp.SetHandler(command, host, async (context, parse, cancellationToken) =>
        {
            var count = parse.GetValue(limit);
            if (count < 1)
            {
                throw new UsageException($"--limit {count} is not a number of runs to show; give 1 or more (the default is 50)");
            }

            var service = await ServiceAsync(context, host, cancellationToken);
            var runs = await service.RunsAsync(parse.GetValue(environment), parse.GetValue(kind), count, cancellationToken);
            if (context.Json)
            {
                context.WriteJson(new { runs });
                return ExitCodes.Done;
            }

            if (runs.Count == 0)
            {
                context.Console.WriteLine("No scheduled runs recorded.");
                return ExitCodes.Done;
            }

            var table = new Table().AddColumns("Run", "Environment", "Kind", "Slot (UTC)", "Server", "Took", "Outcome", "Message");
            foreach (var r in runs)
            {
                var took = r.FinishedAt is { } end ? Humanize.Span(end - r.StartedAt) : "";
                table.AddRow(r.Id.ToString(CultureInfo.InvariantCulture), Markup.Escape(r.Environment), r.Kind, Time(r.Slot), Markup.Escape(r.Holder), took, Outcome(r.Outcome), Markup.Escape(r.Message ?? ""));
            }

            context.Console.Write(table);
            return ExitCodes.Done;
        });
        return command;
    }

    private static async Task<ScheduleService> ServiceAsync(CommandContext context, CliHost host, CancellationToken cancellationToken)
    {
        var config = context.LoadConfig();
        var database = await TeamDatabase.OpenAsync(context.StateLocation(config), context.Note, cancellationToken);
        return new ScheduleService(config, new ScheduleRunStore(database), host.Clock);
    }

    private static string Time(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "";

    private static string Outcome(string? outcome) => outcome switch
    {
        null => "[grey]never run[/]",
        ScheduleOutcomes.Ok => "[green]ok[/]",
        ScheduleOutcomes.Running => "[yellow]running[/]",
        _ => $"[red]{Markup.Escape(outcome)}[/]",
    };
}
