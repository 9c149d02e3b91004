using System.Collections.Frozen;

namespace Backstop.Sql;

/// <summary>
/// Names as a user would write them back into SQL: bare when PostgreSQL reads them back unchanged (lower case, letters,
/// digits, <c>_</c>, <c>$</c>, not a reserved word), in double quotes otherwise. For messages only; SQL that Backstop
/// builds quotes every identifier (PgIdentifier.Quote).
/// </summary>
public static class IdentifierDisplay
{
    /// <summary>
    /// PostgreSQL's reserved key words, and those reserved except as function or type names, which cannot name a table
    /// unquoted (docs: Appendix C, "SQL Key Words"; src/include/parser/kwlist.h: RESERVED_KEYWORD and TYPE_FUNC_NAME_KEYWORD).
    /// </summary>
    private static readonly FrozenSet<string> ReservedWords = new[]
    {
        "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization", "binary", "both", "case",
        "cast", "check", "collate", "collation", "column", "concurrently", "constraint", "create", "cross", "current_catalog",
        "current_date", "current_role", "current_schema", "current_time", "current_timestamp", "current_user", "default",
        "deferrable", "desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign", "freeze", "from",
        "full", "grant", "group", "having", "ilike", "in", "initially", "inner", "intersect", "into", "is", "isnull", "join",
        "lateral", "leading", "left", "like", "limit", "localtime", "localtimestamp", "natural", "not", "notnull", "null",
        "offset", "on", "only", "or", "order", "outer", "overlaps", "placing", "primary", "references", "returning", "right",
        "select", "session_user", "similar", "some", "symmetric", "system_user", "table", "tablesample", "then", "to",
        "trailing", "true", "union", "unique", "user", "using", "variadic", "verbose", "when", "where", "window", "with",
    }.ToFrozenSet(StringComparer.Ordinal);

    public static string Name(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return NeedsQuotes(name) ? "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : name;
    }

    public static string Qualified(string? schema, string name) => schema is null ? Name(name) : Name(schema) + "." + Name(name);

    private static bool NeedsQuotes(string name)
    {
        if (name.Length == 0 || !(name[0] is >= 'a' and <= 'z' || name[0] == '_'))
        {
            return true;
        }

        foreach (var c in name)
        {
            if (!(c is >= 'a' and <= 'z' || c is >= '0' and <= '9' || c is '_' or '$'))
            {
                return true;
            }
        }

        return ReservedWords.Contains(name);
    }
}
