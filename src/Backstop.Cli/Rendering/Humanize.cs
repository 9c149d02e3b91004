using System.Globalization;

namespace Backstop.Cli.Rendering;

/// <summary>Sizes and ages the way a person reads them.</summary>
internal static class Humanize
{
    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => bytes.ToString(CultureInfo.InvariantCulture) + " B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        < 1024L * 1024 * 1024 => (bytes / 1024.0 / 1024).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        _ => (bytes / 1024.0 / 1024 / 1024).ToString("0.00", CultureInfo.InvariantCulture) + " GiB",
    };

    public static string Age(TimeSpan age) => Span(age) + " ago";

    public static string Span(TimeSpan span) => span.TotalSeconds switch
    {
        < 0 => "0 s",
        < 90 => ((int)span.TotalSeconds).ToString(CultureInfo.InvariantCulture) + " s",
        < 90 * 60 => ((int)span.TotalMinutes).ToString(CultureInfo.InvariantCulture) + " min",
        < 48 * 3600 => span.TotalHours.ToString("0.#", CultureInfo.InvariantCulture) + " h",
        _ => span.TotalDays.ToString("0.#", CultureInfo.InvariantCulture) + " d",
    };

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
