namespace Backstop.Sql.Lexing;

/// <summary>
/// One token of a script; its text is <c>source.Substring(Start, Length)</c>.
/// Eight bytes: the kind shares a word with the length, because a large script holds millions of tokens
/// and their size is most of what splitting allocates. A single token is therefore limited to
/// <see cref="MaxLength"/> characters; the lexer reports a longer one as a syntax error.
/// </summary>
public readonly struct Token : IEquatable<Token>
{
    public const int MaxLength = (1 << 27) - 1;

    private const int KindBits = 5;
    private readonly uint _lengthAndKind;

    public Token(TokenKind kind, int start, int length)
    {
        if ((uint)length > MaxLength)
        {
            throw new TokenTooLongException(start);
        }

        Start = start;
        _lengthAndKind = ((uint)length << KindBits) | (uint)kind;
    }

    public TokenKind Kind => (TokenKind)(_lengthAndKind & ((1u << KindBits) - 1));

    public int Start { get; }

    public int Length => (int)(_lengthAndKind >> KindBits);

    public int End => Start + Length;

    public bool IsTrivia => Kind is TokenKind.Whitespace or TokenKind.LineComment or TokenKind.BlockComment;

    public static bool operator ==(Token left, Token right) => left.Equals(right);

    public static bool operator !=(Token left, Token right) => !left.Equals(right);

    public bool Equals(Token other) => Start == other.Start && _lengthAndKind == other._lengthAndKind;

    public override bool Equals(object? obj) => obj is Token other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Start, _lengthAndKind);

    public override string ToString() => $"{Kind} {Start}+{Length}";
}
