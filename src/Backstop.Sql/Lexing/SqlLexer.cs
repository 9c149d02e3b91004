namespace Backstop.Sql.Lexing;

/// <summary>PostgreSQL's lexical rules (docs: "SQL Syntax → Lexical Structure"), plus psql variables.</summary>
public static class SqlLexer
{
    /// <summary>All tokens, trivia included; they cover the input exactly.</summary>
    /// <exception cref="SqlSyntaxException">an unterminated string, dollar quote, comment or quoted identifier.</exception>
    public static IReadOnlyList<Token> Tokenize(string source)
    {
        ArgumentNullException.ThrowIfNull(source);

        // Typical SQL averages more than four characters a token; the guess only saves list regrowth.
        var tokens = new List<Token>(source.Length / 4 + 4);
        var offset = 0;
        try
        {
            while (offset < source.Length)
            {
                var token = TokenScanner.Scan(source, offset);
                tokens.Add(token);
                offset = token.End;
            }
        }
        catch (TokenTooLongException e)
        {
            throw e.WithPosition(source);
        }

        return tokens;
    }
}
