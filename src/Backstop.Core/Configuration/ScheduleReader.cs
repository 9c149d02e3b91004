using Backstop.Core.Schedules;
using YamlDotNet.RepresentationModel;

namespace Backstop.Core.Configuration;

/// <summary>An environment's <c>schedule:</c> section (docs/schedules.md): a cron expression per kind and the zone they are read in.</summary>
internal static class ScheduleReader
{
    private const string Example = "e.g. \"0 2 * * *\" for 02:00 every day, \"*/15 * * * *\" for every quarter hour, or six fields with seconds first";

    /// <param name="defaultZone">the environment's <c>timezone</c>, used when the section names none.</param>
    public static IReadOnlyList<Schedule> Read(YamlReader read, YamlNode node, string environment, TimeZoneInfo defaultZone)
    {
        string[] keys = ["timezone", .. ScheduleKinds.All];
        var entries = read.Entries(read.Mapping(node, "schedule"), $"the schedule of environment '{environment}'", keys).ToList();
        var zone = defaultZone;
        if (entries.FirstOrDefault(e => e.Key == "timezone") is { Value: { } zoneNode })
        {
            var name = read.Scalar(zoneNode, "timezone");
            zone = TimeZoneInfo.TryFindSystemTimeZoneById(name, out var found)
                ? found
                : throw read.Error(zoneNode, $"schedule.timezone of environment '{environment}' is '{name}', an unknown time zone; use an IANA name such as Europe/Berlin or UTC");
        }

        var schedules = new List<Schedule>();
        foreach (var (key, value) in entries.Where(e => e.Key != "timezone"))
        {
            var text = read.Scalar(value, key);
            Cronos.CronExpression expression;
            try
            {
                expression = Schedule.ParseCron(text);
            }
            catch (Cronos.CronFormatException e)
            {
                throw read.Error(value, $"schedule.{key} of environment '{environment}' is '{text}', which is not a cron expression ({e.Message.TrimEnd('.')}); {Example}");
            }

            schedules.Add(new Schedule { Environment = environment, Kind = ScheduleKinds.Parse(key)!.Value, Cron = text, Expression = expression, TimeZone = zone });
        }

        return schedules;
    }
}
