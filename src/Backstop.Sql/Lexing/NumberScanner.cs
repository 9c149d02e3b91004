namespace Backstop.Sql.Lexing;

/// <summary>Numeric constants: the number rules of scan.l, apart from <see cref="TokenScanner"/>.</summary>
internal static class NumberScanner
{
    /// <summary>
    /// Numeric constants (docs: 4.1.2.6): <c>42</c>, <c>1_000</c>, <c>3.5</c>, <c>.5</c>, <c>1.5e10</c>, <c>0x1F</c>, <c>0o17</c>, <c>0b101</c>.
    /// <c>1..10</c> stays an integer followed by dots, as scan.l's <c>numericfail</c> rule keeps it for PL/pgSQL ranges.
    /// </summary>
    public static Token Scan(string source, int start)
    {
        var i = start;
        if (source[i] == '0' && Next(source, i + 1) is 'x' or 'X' or 'o' or 'O' or 'b' or 'B')
        {
            var digitsStart = i + 2;
            var j = digitsStart;
            while (j < source.Length && (SqlCharClass.IsHexDigit(source[j]) || source[j] == '_'))
            {
                j++;
            }

            if (j > digitsStart)
            {
                return new Token(TokenKind.Number, start, j - start);
            }
        }

        i = SkipDigits(source, i);
        if (Next(source, i) == '.' && Next(source, i + 1) != '.')
        {
            i = SkipDigits(source, i + 1);
        }

        if (Next(source, i) is 'e' or 'E')
        {
            var j = i + 1;
            if (Next(source, j) is '+' or '-')
            {
                j++;
            }

            if (SqlCharClass.IsDigit(Next(source, j)))
            {
                i = SkipDigits(source, j);
            }
        }

        return new Token(TokenKind.Number, start, i - start);
    }

    /// <summary>Digits with single underscores between them (PostgreSQL 16's <c>decinteger</c>).</summary>
    private static int SkipDigits(string source, int i)
    {
        while (i < source.Length)
        {
            var c = source[i];
            if (SqlCharClass.IsDigit(c) || (c == '_' && SqlCharClass.IsDigit(Next(source, i + 1)) && i > 0 && SqlCharClass.IsDigit(source[i - 1])))
            {
                i++;
            }
            else
            {
                break;
            }
        }

        return i;
    }

    private static char Next(string source, int index) => (uint)index < (uint)source.Length ? source[index] : '\0';
}
