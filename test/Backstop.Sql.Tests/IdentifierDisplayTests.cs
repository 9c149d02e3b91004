using Backstop.Sql.Classification;
using Backstop.Sql.Splitting;

namespace Backstop.Sql.Tests;

public sealed class IdentifierDisplayTests
{
    [Theory]
    [InlineData("orders", "orders")]
    [InlineData("order_items2", "order_items2")]
    [InlineData("Orders", "\"Orders\"")]
    [InlineData("order", "\"order\"")]
    [InlineData("user", "\"user\"")]
    [InlineData("my table", "\"my table\"")]
    [InlineData("a\"b", "\"a\"\"b\"")]
    [InlineData("2fa", "\"2fa\"")]
    [InlineData("é", "\"é\"")]
    public void Name_is_quoted_only_when_it_needs_quotes(string name, string expected)
    {
        Assert.Equal(expected, IdentifierDisplay.Name(name));
    }

    [Fact]
    public void RelationName_is_shown_as_it_would_be_written()
    {
        var statement = Assert.Single(SqlSplitter.Split("DELETE FROM \"Sales\".\"Order Lines\" WHERE id = 1").Statements);

        var target = Assert.Single(StatementClassifier.Classify(statement).Targets);

        Assert.Equal("\"Sales\".\"Order Lines\"", target.ToString());
    }
}
