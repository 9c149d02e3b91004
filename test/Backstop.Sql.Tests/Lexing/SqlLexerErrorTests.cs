using Backstop.Sql.Lexing;
using Backstop.Sql.Splitting;

namespace Backstop.Sql.Tests.Lexing;

public sealed class SqlLexerErrorTests
{
    [Theory]
    [InlineData("SELECT 'abc", 1, 8, "unterminated quoted string")]
    [InlineData("SELECT 'it''s", 1, 8, "unterminated quoted string")]
    [InlineData("SELECT 1;\n  SELECT E'\\'", 2, 10, "unterminated quoted string")]
    [InlineData("SELECT E'abc\\", 1, 8, "unterminated quoted string")]
    [InlineData("SELECT B'01", 1, 8, "unterminated quoted string")]
    [InlineData("SELECT U&'x", 1, 8, "unterminated quoted string")]
    [InlineData("SELECT 1;\r\nSELECT $$ body", 2, 8, "unterminated dollar-quoted string $$")]
    [InlineData("CREATE FUNCTION f() AS $fn$\nBEGIN\nEND $fnx$", 1, 24, "unterminated dollar-quoted string $fn$")]
    [InlineData("SELECT 1 /* a /* b */", 1, 10, "unterminated /* comment")]
    [InlineData("\n\n   /* never closed", 3, 4, "unterminated /* comment")]
    [InlineData("SELECT \"Col", 1, 8, "unterminated quoted identifier")]
    [InlineData("SELECT U&\"Col", 1, 8, "unterminated quoted identifier")]
    [InlineData("SELECT \"a\"\"", 1, 8, "unterminated quoted identifier")]
    public void Tokenize_unterminated_construct_throws_with_start_position(string source, int line, int column, string reason)
    {
        var error = Assert.Throws<SqlSyntaxException>(() => SqlLexer.Tokenize(source));

        Assert.Equal(reason, error.Reason);
        Assert.Equal(line, error.Position.Line);
        Assert.Equal(column, error.Position.Column);
        Assert.Contains($"at line {line}, column {column}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Split_unterminated_string_throws_same_position_as_lexer()
    {
        const string source = "UPDATE t SET a = 1;\nUPDATE t SET b = 'oops WHERE id = 1;";

        var error = Assert.Throws<SqlSyntaxException>(() => SqlSplitter.Split(source));

        Assert.Equal(new SourcePosition(37, 2, 18), error.Position);
    }
}
