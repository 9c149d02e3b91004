using System.Globalization;

namespace Backstop.Core.State;

/// <summary>
/// Enum values as the state stores keep them: by name. A name this Backstop does not know was written by a newer one
/// (a new outcome, verdict or backup status); it reads as the enum's <c>Unknown</c> member instead of failing, so an
/// older Backstop still lists and shows everything it can, and never writes that member back over the newer value.
/// </summary>
public static class StoredEnum
{
    /// <summary>The member named <paramref name="text"/> (any case), else <paramref name="unknown"/>.</summary>
    public static TEnum Parse<TEnum>(string text, TEnum unknown)
        where TEnum : struct, Enum =>
        !long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) && Enum.TryParse<TEnum>(text, ignoreCase: true, out var value) && Enum.IsDefined(value)
            ? value
            : unknown;

    /// <summary>The name to store.</summary>
    /// <exception cref="InvalidOperationException">the value is <paramref name="unknown"/>: storing it would erase what a newer Backstop recorded.</exception>
    public static string Name<TEnum>(TEnum value, TEnum unknown)
        where TEnum : struct, Enum =>
        EqualityComparer<TEnum>.Default.Equals(value, unknown)
            ? throw new InvalidOperationException($"a {typeof(TEnum).Name} read as unknown (written by a newer Backstop) is never written back")
            : value.ToString();
}
