using System.Globalization;
using System.Text;

namespace Backstop.Recovery.Snapshots;

/// <summary>
/// Values in COPY's text format, as pg_restore feeds a directory-format data file to <c>COPY … FROM stdin</c>
/// (docs: "COPY → Text Format"): fields separated by a tab, rows ended by a newline, NULL as <c>\N</c>, and backslash,
/// newline, carriage return and tab escaped with a backslash.
/// </summary>
internal static class CopyText
{
    public const string Null = "\\N";

    public static void AppendEscaped(StringBuilder builder, string value)
    {
        var span = value.AsSpan();
        var special = span.IndexOfAny("\\\n\r\t");
        if (special < 0)
        {
            builder.Append(value);
            return;
        }

        builder.Append(span[..special]);
        foreach (var c in span[special..])
        {
            switch (c)
            {
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default: builder.Append(c); break;
            }
        }
    }

    public static string Escape(string value)
    {
        if (value.AsSpan().IndexOfAny("\\\n\r\t") < 0)
        {
            return value;
        }

        var builder = new StringBuilder(value.Length + 8);
        AppendEscaped(builder, value);
        return builder.ToString();
    }

    /// <summary>
    /// A masker's result as PostgreSQL text input for a column of <paramref name="typeName"/> (format_type), unescaped.
    /// Dates and times in ISO form, timestamps with time zone in UTC, bytea in hex.
    /// </summary>
    public static string? Format(object? value, string typeName) => value switch
    {
        null or DBNull => null,
        string text => text,
        bool b => b ? "t" : "f",
        DateTime d when typeName == "date" => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime d when typeName.StartsWith("timestamp with time zone", StringComparison.Ordinal) =>
            (d.Kind == DateTimeKind.Local ? d.ToUniversalTime() : d).ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00",
        DateTime d => d.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        DateTimeOffset d => d.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00",
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        TimeOnly t => t.ToString("HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        byte[] bytes => "\\x" + Convert.ToHexStringLower(bytes),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
