namespace Backstop.Sql.Classification;

/// <summary>The object type after CREATE, ALTER, DROP or COMMENT ON, with the two- and three-word types kept whole.</summary>
internal static class ObjectTypeReader
{
    /// <summary>Reads the type at <paramref name="index"/> and moves past it; null if there is no word there.</summary>
    public static string? Read(in TokenCursor cursor, ref int index)
    {
        var i = index;
        string? type = null;
        if (cursor.IsWord(i, "MATERIALIZED") && cursor.IsWord(i + 1, "VIEW"))
        {
            type = "MATERIALIZED VIEW";
            i += 2;
        }
        else if (cursor.IsWord(i, "FOREIGN") && cursor.IsWord(i + 1, "TABLE"))
        {
            type = "FOREIGN TABLE";
            i += 2;
        }
        else if (cursor.IsWord(i, "FOREIGN") && cursor.IsWord(i + 1, "DATA") && cursor.IsWord(i + 2, "WRAPPER"))
        {
            type = "FOREIGN DATA WRAPPER";
            i += 3;
        }
        else if (cursor.IsWord(i, "TEXT") && cursor.IsWord(i + 1, "SEARCH") && cursor.Is(i + 2, Lexing.TokenKind.Identifier))
        {
            type = "TEXT SEARCH " + cursor.Text(i + 2).ToString().ToUpperInvariant();
            i += 3;
        }
        else if (IsPair(cursor, i, "EVENT", "TRIGGER") || IsPair(cursor, i, "ACCESS", "METHOD") || IsPair(cursor, i, "USER", "MAPPING")
            || IsPair(cursor, i, "OPERATOR", "CLASS") || IsPair(cursor, i, "OPERATOR", "FAMILY") || IsPair(cursor, i, "LARGE", "OBJECT"))
        {
            type = Upper(cursor, i) + " " + Upper(cursor, i + 1);
            i += 2;
        }
        else if (cursor.Is(i, Lexing.TokenKind.Identifier))
        {
            type = Upper(cursor, i);
            i++;
        }

        index = i;
        return type;
    }

    private static bool IsPair(in TokenCursor cursor, int i, string first, string second) =>
        cursor.IsWord(i, first) && cursor.IsWord(i + 1, second);

    private static string Upper(in TokenCursor cursor, int i)
    {
        foreach (var known in (ReadOnlySpan<string>)["TABLE", "INDEX", "VIEW", "SEQUENCE", "FUNCTION", "PROCEDURE", "SCHEMA", "TYPE", "TRIGGER", "EXTENSION", "DATABASE", "ROLE"])
        {
            if (cursor.IsWord(i, known))
            {
                return known;
            }
        }

        return cursor.Text(i).ToString().ToUpperInvariant();
    }
}
