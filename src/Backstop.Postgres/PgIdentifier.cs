namespace Backstop.Postgres;

/// <summary>
/// The one place identifiers are quoted. Always quotes, so reserved words, mixed case and odd characters
/// are all safe (docs: "SQL Syntax → Identifiers and Key Words").
/// </summary>
public static class PgIdentifier
{
    public static string Quote(string identifier)
    {
        ArgumentException.ThrowIfNullOrEmpty(identifier);
        if (identifier.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("identifiers cannot contain NUL characters", nameof(identifier));
        }

        return "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    public static string Quote(string? schema, string name) =>
        schema is null ? Quote(name) : Quote(schema) + "." + Quote(name);
}
