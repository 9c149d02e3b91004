using System.Globalization;

namespace Backstop.Core.Configuration;

/// <summary>Durations as users write them: "500ms", "2s", "5m", "1h", "7d".</summary>
public static class Durations
{
    /// <summary>The longest duration Backstop takes (100 years): anything longer is a typo, and overflows date arithmetic.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(36_500);

    /// <summary>lock_timeout and statement_timeout are ints of milliseconds in PostgreSQL (guc_tables.c: INT_MAX).</summary>
    public static readonly TimeSpan MaxServerTimeout = TimeSpan.FromMilliseconds(int.MaxValue);

    /// <summary>A positive amount with a unit, at most <see cref="Max"/>.</summary>
    public static bool TryParse(string text, out TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(text);
        duration = default;
        var units = new (string Suffix, double Milliseconds)[] { ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000) };
        foreach (var (suffix, milliseconds) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount)
                && double.IsFinite(amount)
                && amount > 0
                && amount * milliseconds <= Max.TotalMilliseconds)
            {
                duration = TimeSpan.FromMilliseconds(amount * milliseconds);
                return true;
            }
        }

        return false;
    }
}
