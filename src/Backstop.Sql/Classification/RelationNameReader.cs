using System.Text;
using Backstop.Sql.Lexing;

namespace Backstop.Sql.Classification;

/// <summary>
/// Reads <c>[ONLY] [catalog.][schema.]name [*] [[AS] alias]</c>. Unquoted names fold to lower case and quoted ones
/// keep their case with <c>""</c> undone (docs: 4.1.1 "Identifiers and Key Words").
/// </summary>
internal static class RelationNameReader
{
    /// <summary>Words that end a relation reference rather than alias it.</summary>
    private static readonly HashSet<string> ClauseWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "SET", "USING", "WHERE", "RETURNING", "VALUES", "DEFAULT", "SELECT", "OVERRIDING", "ON", "WITH", "TABLE",
        "FROM", "INTO", "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL", "GROUP", "ORDER", "LIMIT",
        "OFFSET", "UNION", "INTERSECT", "EXCEPT", "FOR", "WINDOW", "HAVING", "FETCH", "TABLESAMPLE", "LATERAL",
        "WHEN", "CASCADE", "RESTRICT", "RESTART", "CONTINUE", "IN", "NOWAIT", "TO", "AS", "DO", "ONLY",
    };

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> ClauseWordLookup =
        ClauseWords.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Reads a relation at <paramref name="index"/>; null (and the index unchanged) if there is no name there.</summary>
    public static RelationName? Read(in TokenCursor cursor, ref int index, bool allowOnly, bool allowAlias)
    {
        var i = index;
        var only = false;
        if (allowOnly && cursor.IsWord(i, "ONLY") && cursor.IsName(i + 1))
        {
            only = true;
            i++;
        }

        if (!cursor.IsName(i))
        {
            return null;
        }

        string? schema = null;
        var name = Unquote(cursor, i);
        i++;
        while (cursor.Is(i, TokenKind.Dot) && cursor.IsName(i + 1))
        {
            schema = name;
            name = Unquote(cursor, i + 1);
            i += 2;
        }

        if (cursor.IsOperator(i, "*"))
        {
            i++;
        }

        string? alias = null;
        if (allowAlias)
        {
            if (cursor.IsWord(i, "AS") && cursor.IsName(i + 1))
            {
                alias = Unquote(cursor, i + 1);
                i += 2;
            }
            else if (cursor.Is(i, TokenKind.QuotedIdentifier)
                || (cursor.Is(i, TokenKind.Identifier) && !ClauseWordLookup.Contains(cursor.Text(i))))
            {
                alias = Unquote(cursor, i);
                i++;
            }
        }

        index = i;
        return new RelationName(schema, name) { Only = only, Alias = alias };
    }

    /// <summary>A plain name (schema, role, database) as PostgreSQL would store it.</summary>
    public static string Unquote(in TokenCursor cursor, int index)
    {
        var text = cursor.Text(index);
        return cursor.Kind(index) == TokenKind.QuotedIdentifier ? UnquoteIdentifier(text) : FoldCase(text);
    }

    /// <summary>PostgreSQL folds only ASCII letters in UTF-8 databases (scan.l: downcase_identifier).</summary>
    private static string FoldCase(ReadOnlySpan<char> text)
    {
        if (!text.ContainsAnyInRange('A', 'Z'))
        {
            return text.ToString();
        }

        Span<char> buffer = text.Length <= 128 ? stackalloc char[text.Length] : new char[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            buffer[i] = c is >= 'A' and <= 'Z' ? (char)(c + ('a' - 'A')) : c;
        }

        return buffer.ToString();
    }

    private static string UnquoteIdentifier(ReadOnlySpan<char> text)
    {
        var unicode = text.Length > 2 && text[0] is 'u' or 'U' && text[1] == '&';
        var inner = unicode ? text[3..^1] : text[1..^1];
        var unquoted = inner.Contains("\"\"", StringComparison.Ordinal) ? inner.ToString().Replace("\"\"", "\"", StringComparison.Ordinal) : inner.ToString();
        return unicode ? DecodeUnicodeEscapes(unquoted) : unquoted;
    }

    /// <summary><c>U&amp;"d\0061t\+000061"</c> escapes with the default escape character (docs: 4.1.1); UESCAPE is not followed.</summary>
    private static string DecodeUnicodeEscapes(string text)
    {
        if (!text.Contains('\\', StringComparison.Ordinal))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                if (text[i + 1] == '\\')
                {
                    builder.Append('\\');
                    i++;
                    continue;
                }

                var digits = text[i + 1] == '+' ? 6 : 4;
                var hexStart = text[i + 1] == '+' ? i + 2 : i + 1;
                if (hexStart + digits <= text.Length
                    && int.TryParse(text.AsSpan(hexStart, digits), System.Globalization.NumberStyles.HexNumber, null, out var code)
                    && code <= 0x10FFFF
                    && code is < 0xD800 or > 0xDFFF)
                {
                    builder.Append(char.ConvertFromUtf32(code));
                    i = hexStart + digits - 1;
                    continue;
                }
            }

            builder.Append(text[i]);
        }

        return builder.ToString();
    }
}
