namespace Backstop.Sql.Lexing;

/// <summary>
/// The tokens that run until a closing delimiter: quoted strings and identifiers, dollar quotes, comments.
/// Each searches with vectorised IndexOf, since these bodies make up most of a large script's bytes.
/// </summary>
internal static class LiteralScanner
{
    /// <summary>
    /// <c>'...'</c> with <c>''</c> doubling (docs: 4.1.2.1), also for B'', X'', N'' and U&amp;'', and <c>"..."</c> with
    /// <c>""</c> doubling (docs: 4.1.1). With standard_conforming_strings on (the default since 9.1), a backslash is an ordinary character.
    /// </summary>
    public static Token ScanQuoted(string source, int start, int bodyStart, TokenKind kind, char quote)
    {
        var i = bodyStart;
        while (true)
        {
            var found = source.AsSpan(i).IndexOf(quote);
            if (found < 0)
            {
                throw Unterminated(source, start, kind == TokenKind.String ? "unterminated quoted string" : "unterminated quoted identifier");
            }

            i += found + 1;
            if (i < source.Length && source[i] == quote)
            {
                i++;
                continue;
            }

            return new Token(kind, start, i - start);
        }
    }

    /// <summary><c>E'...'</c>: a backslash escapes the next character, so <c>E'\''</c> and <c>E'\\'</c> are whole strings (docs: 4.1.2.2).</summary>
    public static Token ScanEscapeString(string source, int start)
    {
        var i = start + 2;
        while (true)
        {
            var found = source.AsSpan(i).IndexOfAny('\'', '\\');
            if (found < 0)
            {
                throw Unterminated(source, start, "unterminated quoted string");
            }

            i += found;
            if (source[i] == '\\')
            {
                i += 2;
                if (i > source.Length)
                {
                    throw Unterminated(source, start, "unterminated quoted string");
                }

                continue;
            }

            i++;
            if (i < source.Length && source[i] == '\'')
            {
                i++;
                continue;
            }

            return new Token(TokenKind.String, start, i - start);
        }
    }

    /// <summary><c>$1</c> is a parameter; <c>$$</c> or <c>$tag$</c> opens a dollar-quoted string (docs: 4.1.2.4).</summary>
    public static Token ScanDollar(string source, int start)
    {
        var i = start + 1;
        if (i < source.Length && SqlCharClass.IsDigit(source[i]))
        {
            while (i < source.Length && SqlCharClass.IsDigit(source[i]))
            {
                i++;
            }

            return new Token(TokenKind.Parameter, start, i - start);
        }

        if (i < source.Length && source[i] != '$')
        {
            if (!SqlCharClass.IsIdentifierStart(source[i]))
            {
                return new Token(TokenKind.Operator, start, 1);
            }

            while (i < source.Length && SqlCharClass.IsDollarTagPart(source[i]))
            {
                i++;
            }
        }

        if (i >= source.Length || source[i] != '$')
        {
            return new Token(TokenKind.Operator, start, 1);
        }

        return ScanDollarBody(source, start, i + 1);
    }

    /// <summary>The body of <c>$tag$...$tag$</c>: it ends at the first exact repeat of the opening delimiter (docs: 4.1.2.4).</summary>
    private static Token ScanDollarBody(string source, int start, int bodyStart)
    {
        var delimiter = source.AsSpan(start, bodyStart - start);
        var found = source.AsSpan(bodyStart).IndexOf(delimiter, StringComparison.Ordinal);
        if (found < 0)
        {
            throw Unterminated(source, start, $"unterminated dollar-quoted string {delimiter}");
        }

        return new Token(TokenKind.DollarString, start, bodyStart + found + delimiter.Length - start);
    }

    /// <summary><c>--</c> up to, not including, the end of the line (scan.l: <c>non_newline</c> is <c>[^\n\r]</c>).</summary>
    public static Token ScanLineComment(string source, int start)
    {
        var found = source.AsSpan(start + 2).IndexOfAny('\n', '\r');
        var end = found < 0 ? source.Length : start + 2 + found;
        return new Token(TokenKind.LineComment, start, end - start);
    }

    /// <summary><c>/* ... */</c>; unlike the SQL standard's, PostgreSQL's block comments nest (docs: 4.1.5).</summary>
    public static Token ScanBlockComment(string source, int start)
    {
        var depth = 1;
        var i = start + 2;
        while (true)
        {
            var found = source.AsSpan(i).IndexOfAny('*', '/');
            if (found < 0)
            {
                throw Unterminated(source, start, "unterminated /* comment");
            }

            i += found;
            var next = i + 1 < source.Length ? source[i + 1] : '\0';
            if (source[i] == '*' && next == '/')
            {
                i += 2;
                if (--depth == 0)
                {
                    return new Token(TokenKind.BlockComment, start, i - start);
                }
            }
            else if (source[i] == '/' && next == '*')
            {
                depth++;
                i += 2;
            }
            else
            {
                i++;
            }
        }
    }

    private static SqlSyntaxException Unterminated(string source, int start, string reason) =>
        new(reason, SourcePositionTracker.Locate(source, start));
}
