namespace Backstop.Postgres.Tests;

public sealed class PgLiteralTests
{
    [Theory]
    [InlineData("", "''")]
    [InlineData("plain", "'plain'")]
    [InlineData("it's", "'it''s'")]
    [InlineData("''", "''''''")]
    [InlineData("back\\slash", "'back\\slash'")]
    public void Quote_wraps_in_single_quotes_and_doubles_inner_ones(string value, string quoted)
    {
        Assert.Equal(quoted, PgLiteral.Quote(value));
    }

    [Fact]
    public void Quote_value_with_nul_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => PgLiteral.Quote("a\0b"));

        Assert.StartsWith("string literals cannot contain NUL characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Quote_null_is_refused()
    {
        Assert.Throws<ArgumentNullException>(() => PgLiteral.Quote(null!));
    }
}
