using System.Globalization;
using System.Text.RegularExpressions;

namespace Backstop.Recovery.Pitr;

/// <summary>A recovery target time as a user types it, and as PostgreSQL's <c>recovery_target_time</c> takes it.</summary>
public static partial class RecoveryTarget
{
    /// <summary>
    /// <c>now</c>, an ISO 8601 time with an offset (<c>2026-05-01T14:03:00Z</c>, <c>2026-05-01 16:03:00+02:00</c>, or as
    /// psql prints it, <c>… 16:03:00.123456+02</c>), or without one, read in <paramref name="zone"/> (the environment's
    /// time zone).
    /// </summary>
    /// <exception cref="PitrException">the text is not a time (a usage error).</exception>
    public static DateTimeOffset Parse(string text, TimeZoneInfo zone, DateTimeOffset now)
    {
        var trimmed = text.Trim();
        if (trimmed.Equals("now", StringComparison.OrdinalIgnoreCase))
        {
            return ToMicroseconds(now);
        }

        // psql prints offsets as +HH; .NET wants +HH:MM.
        var normalized = ShortOffset().Replace(trimmed, "$1$2:00");
        if (!DateTime.TryParse(normalized, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind | DateTimeStyles.AllowWhiteSpaces, out var parsed))
        {
            throw new PitrException(
                $"'{text}' is not a time; give it as 2026-05-01T14:03:00Z or '2026-05-01 16:03:00+02:00' (without an offset, the environment's time zone {zone.Id} applies), or 'now'",
                isUsageError: true);
        }

        return ToMicroseconds(parsed.Kind switch
        {
            DateTimeKind.Utc => new DateTimeOffset(parsed, TimeSpan.Zero),
            DateTimeKind.Local => DateTimeOffset.Parse(normalized, CultureInfo.InvariantCulture),
            _ => new DateTimeOffset(parsed, zone.GetUtcOffset(parsed)),
        });
    }

    /// <summary>PostgreSQL keeps times to the microsecond; a target finer than that would compare unlike the server.</summary>
    public static DateTimeOffset ToMicroseconds(DateTimeOffset time) => time.AddTicks(-(time.Ticks % 10));

    /// <summary>The form written to recovery_target_time: UTC with microseconds, PostgreSQL's precision.</summary>
    public static string Format(DateTimeOffset target) =>
        target.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00";

    /// <summary>For messages: ISO 8601 in UTC.</summary>
    public static string Display(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFF'Z'", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)([+-]\d{2})$")]
    private static partial Regex ShortOffset();
}
