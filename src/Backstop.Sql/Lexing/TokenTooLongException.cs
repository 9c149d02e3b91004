namespace Backstop.Sql.Lexing;

/// <summary>Raised by <see cref="Token"/> for a token past <see cref="Token.MaxLength"/>; the lexer and splitter turn it into a <see cref="SqlSyntaxException"/> with the position.</summary>
internal sealed class TokenTooLongException(int start) : Exception("a single token is longer than Token.MaxLength")
{
    public int Start { get; } = start;

    public SqlSyntaxException WithPosition(string source) =>
        new($"a single literal, comment or identifier longer than {Token.MaxLength:N0} characters is not supported", SourcePositionTracker.Locate(source, Start));
}
