namespace Backstop.Sql.Lexing;

/// <summary>PostgreSQL's lexical rules (docs: "SQL Syntax → Lexical Structure"), plus psql variables.</summary>
public static class SqlLexer
{
    /// <summary>All tokens, trivia included; they cover the input exactly.</summary>
    /// <exception cref="SqlSyntaxException">an unterminated string, dollar quote, comment or quoted identifier.</exception>
    public static IReadOnlyList<Token> Tokenize(string source) => throw new NotImplementedException();
}
