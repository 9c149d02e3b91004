using Backstop.Sql.Lexing;

namespace Backstop.Sql.Tests.Lexing;

public sealed class TokenTests
{
    public static TheoryData<TokenKind> Kinds()
    {
        var data = new TheoryData<TokenKind>();
        foreach (var kind in Enum.GetValues<TokenKind>())
        {
            data.Add(kind);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Token_packed_fields_round_trip_for_every_kind(TokenKind kind)
    {
        var token = new Token(kind, int.MaxValue - Token.MaxLength, Token.MaxLength);

        Assert.Equal(kind, token.Kind);
        Assert.Equal(int.MaxValue - Token.MaxLength, token.Start);
        Assert.Equal(Token.MaxLength, token.Length);
        Assert.Equal(int.MaxValue, token.End);
    }

    [Fact]
    public void Token_longer_than_the_limit_is_refused()
    {
        Assert.Throws<TokenTooLongException>(() => new Token(TokenKind.String, 0, Token.MaxLength + 1));
    }

    [Fact]
    public void Token_equality_compares_kind_start_and_length()
    {
        Assert.Equal(new Token(TokenKind.Identifier, 3, 4), new Token(TokenKind.Identifier, 3, 4));
        Assert.NotEqual(new Token(TokenKind.Identifier, 3, 4), new Token(TokenKind.Number, 3, 4));
        Assert.NotEqual(new Token(TokenKind.Identifier, 3, 4), new Token(TokenKind.Identifier, 3, 5));
    }
}
