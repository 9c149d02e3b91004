using System.Globalization;

namespace Backstop.Core.Policies;

/// <summary>A weekly window, e.g. Fri 16:00 – Mon 08:00, in the environment's time zone.</summary>
public sealed record FreezeWindow(DayOfWeek StartDay, TimeOnly StartTime, DayOfWeek EndDay, TimeOnly EndTime)
{
    public static FreezeWindow Default { get; } = new(DayOfWeek.Friday, new TimeOnly(16, 0), DayOfWeek.Monday, new TimeOnly(8, 0));

    /// <summary>From its start to its end (Fri 16:00 – Mon 08:00: 64 hours).</summary>
    public TimeSpan Length
    {
        get
        {
            var week = TimeSpan.FromDays(7);
            var length = TimeSpan.FromTicks((Offset(EndDay, EndTime) - Offset(StartDay, StartTime) + week).Ticks % week.Ticks);
            return length == TimeSpan.Zero ? week : length;
        }
    }

    public bool Contains(DateTime localTime)
    {
        var week = TimeSpan.FromDays(7);
        var start = Offset(StartDay, StartTime);
        var end = Offset(EndDay, EndTime);
        var now = Offset(localTime.DayOfWeek, TimeOnly.FromDateTime(localTime));
        var length = (end - start + week).Ticks % week.Ticks;
        var sinceStart = (now - start + week).Ticks % week.Ticks;
        return sinceStart < length;
    }

    /// <summary>Parses "Fri 16:00 - Mon 08:00".</summary>
    public static bool TryParse(string text, out FreezeWindow? window)
    {
        window = null;
        var parts = text.Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !TryParsePoint(parts[0], out var startDay, out var startTime) || !TryParsePoint(parts[1], out var endDay, out var endTime))
        {
            return false;
        }

        window = new FreezeWindow(startDay, startTime, endDay, endTime);
        return true;
    }

    public override string ToString() =>
        $"{Abbreviation(StartDay)} {StartTime.ToString("HH:mm", CultureInfo.InvariantCulture)} - {Abbreviation(EndDay)} {EndTime.ToString("HH:mm", CultureInfo.InvariantCulture)}";

    private static TimeSpan Offset(DayOfWeek day, TimeOnly time) => TimeSpan.FromDays((int)day) + time.ToTimeSpan();

    private static string Abbreviation(DayOfWeek day) => day.ToString()[..3];

    private static bool TryParsePoint(string text, out DayOfWeek day, out TimeOnly time)
    {
        day = default;
        time = default;
        var pieces = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (pieces.Length != 2 || pieces[0].Length < 3)
        {
            return false;
        }

        var match = Enum.GetValues<DayOfWeek>().Where(d => d.ToString().StartsWith(pieces[0], StringComparison.OrdinalIgnoreCase)).ToList();
        if (match.Count != 1)
        {
            return false;
        }

        day = match[0];
        return TimeOnly.TryParseExact(pieces[1], "H:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out time);
    }
}
