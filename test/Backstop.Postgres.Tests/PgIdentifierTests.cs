namespace Backstop.Postgres.Tests;

public sealed class PgIdentifierTests
{
    [Theory]
    [InlineData("orders", "\"orders\"")]
    [InlineData("Orders", "\"Orders\"")]
    [InlineData("select", "\"select\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("\"", "\"\"\"\"")]
    [InlineData("dot.ted", "\"dot.ted\"")]
    public void Quote_always_quotes_and_doubles_inner_quotes(string identifier, string quoted)
    {
        Assert.Equal(quoted, PgIdentifier.Quote(identifier));
    }

    [Fact]
    public void Quote_schema_and_name_are_quoted_each_and_joined_by_a_dot()
    {
        Assert.Equal("\"Tenant \"\"A\"\"\".\"dot.ted\"", PgIdentifier.Quote("Tenant \"A\"", "dot.ted"));
    }

    [Fact]
    public void Quote_without_schema_is_the_name_alone()
    {
        Assert.Equal("\"orders\"", PgIdentifier.Quote(null, "orders"));
    }

    [Fact]
    public void Quote_empty_identifier_is_refused()
    {
        Assert.Throws<ArgumentException>(() => PgIdentifier.Quote(""));
    }

    [Fact]
    public void Quote_identifier_with_nul_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => PgIdentifier.Quote("a\0b"));

        Assert.StartsWith("identifiers cannot contain NUL characters", error.Message, StringComparison.Ordinal);
    }
}
