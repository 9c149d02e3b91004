using System.Buffers;

namespace Backstop.Sql.Lexing;

/// <summary>
/// Scans the one token that starts at an offset. Stateless, so the lexer and the splitter share it
/// without materialising every token. Rules follow PostgreSQL's scan.l and, for <c>:name</c>, psql's psqlscan.l.
/// </summary>
internal static class TokenScanner
{
    private static readonly SearchValues<char> NonSqlOperatorChars = SearchValues.Create("~!@#%^&|`?");

    // scan.l's space is [ \t\n\r\f\v]. Vectorised runs for the two commonest tokens; characters at or above 0x80 continue identifiers and are handled apart.
    private static readonly SearchValues<char> WhitespaceChars = SearchValues.Create(" \t\n\r\f\v");
    private static readonly SearchValues<char> AsciiIdentifierChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$");

    public static Token Scan(string source, int start)
    {
        var c = source[start];
        switch (c)
        {
            case ' ' or '\t' or '\n' or '\r' or '\f' or '\v':
                return ScanWhitespace(source, start);
            case '-' when Next(source, start + 1) == '-':
                return LiteralScanner.ScanLineComment(source, start);
            case '/' when Next(source, start + 1) == '*':
                return LiteralScanner.ScanBlockComment(source, start);
            case '\'':
                return LiteralScanner.ScanQuoted(source, start, start + 1, TokenKind.String, '\'');
            case '"':
                return LiteralScanner.ScanQuoted(source, start, start + 1, TokenKind.QuotedIdentifier, '"');
            case '$':
                return LiteralScanner.ScanDollar(source, start);
            case ':':
                return ScanColon(source, start);
            case '\\':
                return ScanMetaCommand(source, start);
            case ';':
                return new Token(TokenKind.Semicolon, start, 1);
            case ',':
                return new Token(TokenKind.Comma, start, 1);
            case '(':
                return new Token(TokenKind.LeftParenthesis, start, 1);
            case ')':
                return new Token(TokenKind.RightParenthesis, start, 1);
            case '[':
                return new Token(TokenKind.LeftBracket, start, 1);
            case ']':
                return new Token(TokenKind.RightBracket, start, 1);
            case '.' when Next(source, start + 1) == '.':
                // scan.l's DOT_DOT (PL/pgSQL's FOR i IN 1..10); one token so that "..10" is not read as ".10".
                return new Token(TokenKind.Operator, start, 2);
            case '.':
                return SqlCharClass.IsDigit(Next(source, start + 1)) ? NumberScanner.Scan(source, start) : new Token(TokenKind.Dot, start, 1);
        }

        if (SqlCharClass.IsDigit(c))
        {
            return NumberScanner.Scan(source, start);
        }

        if (SqlCharClass.IsIdentifierStart(c))
        {
            return ScanWord(source, start);
        }

        if (SqlCharClass.IsOperatorChar(c))
        {
            return ScanOperator(source, start);
        }

        // Anything else (a stray character) is one token of its own, so coverage stays exact.
        return new Token(TokenKind.Operator, start, 1);
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\f' or '\v';

    private static bool IsAsciiIdentifierChar(char c) =>
        (uint)((c | 0x20) - 'a') <= 'z' - 'a' || (uint)(c - '0') <= 9 || c == '_' || c == '$';

    private static char Next(string source, int index) => (uint)index < (uint)source.Length ? source[index] : '\0';

    private static Token ScanWhitespace(string source, int start)
    {
        // Most whitespace is one space between words: answer that without setting up a vector search.
        if (!IsSpace(Next(source, start + 1)))
        {
            return new Token(TokenKind.Whitespace, start, 1);
        }

        var length = source.AsSpan(start + 1).IndexOfAnyExcept(WhitespaceChars);
        return new Token(TokenKind.Whitespace, start, length < 0 ? source.Length - start : length + 1);
    }

    /// <summary>A word, or one of the prefixed literals E'', B'', X'', N'', U&amp;'' and U&amp;"" (docs: 4.1.2.2–4.1.2.5, 4.1.1).</summary>
    private static Token ScanWord(string source, int start)
    {
        var c = source[start];
        var next = Next(source, start + 1);
        if (next == '\'')
        {
            switch (c)
            {
                case 'e' or 'E':
                    return LiteralScanner.ScanEscapeString(source, start);
                case 'b' or 'B' or 'x' or 'X' or 'n' or 'N':
                    return LiteralScanner.ScanQuoted(source, start, start + 2, TokenKind.String, '\'');
            }
        }
        else if (next == '&' && c is 'u' or 'U')
        {
            var quote = Next(source, start + 2);
            if (quote == '\'')
            {
                return LiteralScanner.ScanQuoted(source, start, start + 3, TokenKind.String, '\'');
            }

            if (quote == '"')
            {
                return LiteralScanner.ScanQuoted(source, start, start + 3, TokenKind.QuotedIdentifier, '"');
            }
        }

        // Most words are short: a scalar loop finds their end sooner than a vector search is set up.
        var i = start + 1;
        var scalarEnd = Math.Min(source.Length, start + 16);
        while (i < scalarEnd && IsAsciiIdentifierChar(source[i]))
        {
            i++;
        }

        if (i < scalarEnd || i == source.Length)
        {
            if (i == source.Length || source[i] < 128)
            {
                return new Token(TokenKind.Identifier, start, i - start);
            }
        }

        while (true)
        {
            var run = source.AsSpan(i).IndexOfAnyExcept(AsciiIdentifierChars);
            if (run < 0)
            {
                i = source.Length;
                break;
            }

            i += run;
            if (source[i] < 128)
            {
                break;
            }

            i++;
        }

        return new Token(TokenKind.Identifier, start, i - start);
    }

    /// <summary>
    /// psql hands a backslash and the rest of its line to its own command processor (psqlscanslash.l reads the arguments up
    /// to the end of the line), so the token runs to, not including, the end of the line.
    /// </summary>
    private static Token ScanMetaCommand(string source, int start)
    {
        var found = source.AsSpan(start + 1).IndexOfAny('\n', '\r');
        var end = found < 0 ? source.Length : start + 1 + found;
        return new Token(TokenKind.PsqlMetaCommand, start, end - start);
    }

    /// <summary><c>::</c> cast, <c>:=</c>, psql's <c>:name</c>, <c>:'name'</c>, <c>:"name"</c>, else a lone colon.</summary>
    private static Token ScanColon(string source, int start)
    {
        var next = Next(source, start + 1);
        if (next == ':')
        {
            return new Token(TokenKind.Cast, start, 2);
        }

        if (next == '=')
        {
            return new Token(TokenKind.Operator, start, 2);
        }

        // psql also treats :2 as a variable reference, but leaves it alone when no such variable exists;
        // requiring a non-digit first keeps array slices such as a[1:2] a Colon.
        if (SqlCharClass.IsIdentifierStart(next))
        {
            var i = start + 2;
            while (i < source.Length && SqlCharClass.IsPsqlVariableChar(source[i]))
            {
                i++;
            }

            return new Token(TokenKind.PsqlVariable, start, i - start);
        }

        if (next is '\'' or '"')
        {
            var i = start + 2;
            while (i < source.Length && SqlCharClass.IsPsqlVariableChar(source[i]))
            {
                i++;
            }

            if (i > start + 2 && Next(source, i) == next)
            {
                return new Token(TokenKind.PsqlVariable, start, i + 1 - start);
            }
        }

        return new Token(TokenKind.Colon, start, 1);
    }

    /// <summary>
    /// scan.l's operator rule: the longest run of operator characters, cut before any <c>--</c> or <c>/*</c>,
    /// and without trailing <c>+</c>/<c>-</c> unless it holds one of <c>~ ! @ # % ^ &amp; | ` ?</c>.
    /// </summary>
    private static Token ScanOperator(string source, int start)
    {
        var end = start + 1;
        while (end < source.Length && SqlCharClass.IsOperatorChar(source[end]))
        {
            var c = source[end];
            var previous = source[end - 1];
            if ((c == '-' && previous == '-') || (c == '*' && previous == '/'))
            {
                end--;
                break;
            }

            end++;
        }

        var length = end - start;
        if (length > 1 && source[end - 1] is '+' or '-' && !HasNonSqlOperatorChar(source.AsSpan(start, length - 1)))
        {
            do
            {
                length--;
            }
            while (length > 1 && source[start + length - 1] is '+' or '-');
        }

        return new Token(TokenKind.Operator, start, length);
    }

    private static bool HasNonSqlOperatorChar(ReadOnlySpan<char> text) => text.IndexOfAny(NonSqlOperatorChars) >= 0;
}
