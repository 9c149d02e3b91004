namespace Backstop.Sql.Lexing;

/// <summary>One token of a script; its text is <c>source.Substring(Start, Length)</c>.</summary>
public readonly record struct Token(TokenKind Kind, int Start, int Length)
{
    public int End => Start + Length;

    public bool IsTrivia => Kind is TokenKind.Whitespace or TokenKind.LineComment or TokenKind.BlockComment;
}
