namespace Backstop.Postgres;

/// <summary>
/// Quotes a string literal, for the few places PostgreSQL takes no parameters (DDL such as CREATE TRIGGER's
/// arguments). Everywhere else values are parameters. Standard-conforming strings are assumed (the default since 9.1).
/// </summary>
public static class PgLiteral
{
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("string literals cannot contain NUL characters", nameof(value));
        }

        return "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    /// <summary>
    /// An escape string literal (<c>E'…'</c>), which reads the same whatever the server's
    /// <c>standard_conforming_strings</c>: for values that may hold backslashes, such as an array literal built from
    /// values read back from a database.
    /// </summary>
    public static string QuoteEscaped(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("string literals cannot contain NUL characters", nameof(value));
        }

        return "E'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'";
    }
}
