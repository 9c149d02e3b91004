using Cronos;

namespace Backstop.Core.Schedules;

/// <summary>
/// One line of an environment's <c>schedule:</c> section: a cron expression in a time zone. Each occurrence is a
/// <em>slot</em>, run once by whichever server process claims it first (<see cref="ScheduleRunStore"/>).
/// </summary>
public sealed record Schedule
{
    public required string Environment { get; init; }

    public required ScheduleKind Kind { get; init; }

    /// <summary>The expression as written in backstop.yaml.</summary>
    public required string Cron { get; init; }

    public required CronExpression Expression { get; init; }

    /// <summary>The zone the expression is read in: daylight-saving changes shift UTC times, not local ones.</summary>
    public required TimeZoneInfo TimeZone { get; init; }

    public string Name => ScheduleKinds.Name(Kind);

    /// <summary>The first slot strictly after <paramref name="after"/>; null if the expression never fires again (Feb 30).</summary>
    public DateTimeOffset? Next(DateTimeOffset after) => Expression.GetNextOccurrence(after, TimeZone);

    /// <summary>The latest slot in (<paramref name="after"/>, <paramref name="until"/>], or null when none fell in it.</summary>
    public DateTimeOffset? Latest(DateTimeOffset after, DateTimeOffset until)
    {
        DateTimeOffset? latest = null;
        foreach (var slot in Expression.GetOccurrences(after, until, TimeZone, fromInclusive: false, toInclusive: true))
        {
            latest = slot;
        }

        return latest;
    }

    /// <summary>Parses five fields (minute hour day month weekday), six (seconds first) or a macro such as @daily.</summary>
    /// <exception cref="CronFormatException">the text is not a cron expression.</exception>
    public static CronExpression ParseCron(string text)
    {
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        return CronExpression.Parse(text.Trim(), fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
    }
}
