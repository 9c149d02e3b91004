namespace Backstop.Core.Schedules;

/// <summary>A schedule as <c>backstop schedule list</c>, the API and the console show it: when it runs next and how its latest slot ended.</summary>
public sealed record ScheduleView
{
    public required string Environment { get; init; }

    /// <summary>The kind's name (<see cref="ScheduleKinds"/>).</summary>
    public required string Kind { get; init; }

    public required string Cron { get; init; }

    /// <summary>The time zone's IANA name.</summary>
    public required string TimeZone { get; init; }

    /// <summary>The next slot after now; null if the expression never fires again.</summary>
    public DateTimeOffset? Next { get; init; }

    /// <summary>The latest slot run or skipped; null if none was yet.</summary>
    public ScheduleRun? Last { get; init; }
}
