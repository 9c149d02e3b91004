using Backstop.Sql.Lexing;
using Backstop.Sql.Splitting;

namespace Backstop.Sql.Tests.Splitting;

public sealed class SqlSplitterTests
{
    [Theory]
    [InlineData("SELECT 'a;b'")]
    [InlineData("SELECT 'it''s; fine'")]
    [InlineData("SELECT E'\\'; still'")]
    [InlineData("SELECT E'\\\\'';'")]
    [InlineData("SELECT U&'x;y'")]
    [InlineData("SELECT $$a;b$$")]
    [InlineData("SELECT $body$ a; $$ ; b $body$")]
    [InlineData("SELECT 1 -- ; comment\n + 2")]
    [InlineData("SELECT 1 /* ; /* ; */ ; */ + 2")]
    [InlineData("SELECT \"a;b\" FROM t")]
    [InlineData("SELECT \"a\"\";\" FROM t")]
    [InlineData("SELECT U&\"a;b\" FROM t")]
    [InlineData("CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY a; NOTIFY b)")]
    public void Split_semicolon_inside_literal_or_comment_does_not_split(string statement)
    {
        var script = SqlSplitter.Split(statement + ";\nSELECT 2;");

        Assert.Equal(2, script.Statements.Count);
        Assert.Equal(statement, script.Statements[0].Text);
        Assert.Equal("SELECT 2", script.Statements[1].Text);
    }

    [Fact]
    public void Split_blank_line_inside_statement_keeps_one_statement()
    {
        const string source = "UPDATE orders SET is_deleted = true\n\nWHERE id IN (1, 2, 3);";

        var script = SqlSplitter.Split(source);

        var statement = Assert.Single(script.Statements);
        Assert.Equal("UPDATE orders SET is_deleted = true\n\nWHERE id IN (1, 2, 3)", statement.Text);
    }

    [Fact]
    public void Split_multi_line_script_reports_exact_spans_and_extents()
    {
        const string source = "-- header\r\nBEGIN;\r\n\r\n  UPDATE t\r\n  SET a = 1\r\n  WHERE id = 2; -- after\r\nCOMMIT";

        var script = SqlSplitter.Split(source);

        Assert.Equal(3, script.Statements.Count);
        var (begin, update, commit) = (script.Statements[0], script.Statements[1], script.Statements[2]);
        Assert.Equal("BEGIN", begin.Text);
        Assert.Equal(new SourceSpan(new SourcePosition(11, 2, 1), new SourcePosition(16, 2, 6)), begin.Span);
        Assert.Equal(new SourceSpan(new SourcePosition(0, 1, 1), new SourcePosition(17, 2, 7)), begin.Extent);
        Assert.Equal("UPDATE t\r\n  SET a = 1\r\n  WHERE id = 2", update.Text);
        Assert.Equal(new SourceSpan(new SourcePosition(23, 4, 3), new SourcePosition(60, 6, 15)), update.Span);
        Assert.Equal(new SourceSpan(new SourcePosition(17, 2, 7), new SourcePosition(61, 6, 16)), update.Extent);
        Assert.Equal("COMMIT", commit.Text);
        Assert.Equal(new SourceSpan(new SourcePosition(72, 7, 1), new SourcePosition(78, 7, 7)), commit.Span);
        Assert.Equal(new SourceSpan(new SourcePosition(61, 6, 16), new SourcePosition(78, 7, 7)), commit.Extent);
        Assert.Equal(new SourceSpan(new SourcePosition(78, 7, 7), new SourcePosition(78, 7, 7)), script.TrailingExtent);
        Assert.Equal([0, 1, 2], script.Statements.Select(s => s.Index));
    }

    [Fact]
    public void Split_empty_statements_are_skipped_and_folded_into_next_extent()
    {
        const string source = ";; SELECT 1;; ;\n-- tail\n";

        var script = SqlSplitter.Split(source);

        var statement = Assert.Single(script.Statements);
        Assert.Equal("SELECT 1", statement.Text);
        Assert.Equal(0, statement.Extent.Start.Offset);
        Assert.Equal(12, statement.Extent.End.Offset);
        Assert.Equal(12, script.TrailingExtent.Start.Offset);
        Assert.Equal(source.Length, script.TrailingExtent.End.Offset);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\n")]
    [InlineData(";;;")]
    [InlineData("-- only a comment\n/* and another */")]
    public void Split_input_without_statements_is_all_trailing_extent(string source)
    {
        var script = SqlSplitter.Split(source);

        Assert.Empty(script.Statements);
        Assert.Equal(0, script.TrailingExtent.Start.Offset);
        Assert.Equal(source.Length, script.TrailingExtent.End.Offset);
    }

    [Fact]
    public void Split_statement_tokens_are_significant_only_with_script_offsets()
    {
        const string source = "SELECT 1; /* c */ DELETE -- x\n FROM t";

        var script = SqlSplitter.Split(source);

        var delete = script.Statements[1];
        Assert.Equal(["DELETE", "FROM", "t"], delete.Tokens.Select(delete.TokenText));
        Assert.All(delete.Tokens, t => Assert.False(t.IsTrivia));
        Assert.Same(source, delete.Source);
    }

    [Fact]
    public void Split_begin_atomic_body_keeps_inner_semicolons()
    {
        const string function = """
            CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql
            BEGIN ATOMIC
              INSERT INTO log VALUES (a);
              SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;
            END
            """;

        var script = SqlSplitter.Split(function + ";\nSELECT f(1);");

        Assert.Equal(2, script.Statements.Count);
        Assert.Equal(function, script.Statements[0].Text);
        Assert.Equal("SELECT f(1)", script.Statements[1].Text);
    }

    [Fact]
    public void Split_procedure_begin_atomic_keeps_inner_semicolons()
    {
        const string source = "create procedure p() begin atomic delete from t; update u set x = 1; end; call p();";

        var script = SqlSplitter.Split(source);

        Assert.Equal(["create procedure p() begin atomic delete from t; update u set x = 1; end", "call p()"], script.Statements.Select(s => s.Text));
    }

    [Theory]
    [InlineData("BEGIN; SELECT 1; END;", 3)]
    [InlineData("CREATE TABLE begin_atomic (a int); SELECT 1;", 2)]
    [InlineData("CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql; SELECT 1;", 2)]
    [InlineData("DO $$ BEGIN PERFORM 1; END $$; SELECT 1;", 2)]
    public void Split_begin_outside_atomic_body_splits_normally(string source, int expected)
    {
        Assert.Equal(expected, SqlSplitter.Split(source).Statements.Count);
    }

    [Fact]
    public void Split_semicolon_inside_parentheses_is_not_top_level()
    {
        var script = SqlSplitter.Split("CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY a; NOTIFY b); SELECT 2");

        Assert.Equal(["CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY a; NOTIFY b)", "SELECT 2"], script.Statements.Select(s => s.Text));
    }

    [Fact]
    public void Split_stray_closing_parenthesis_does_not_hide_later_semicolons()
    {
        var script = SqlSplitter.Split("SELECT 1); SELECT 2");

        Assert.Equal(["SELECT 1)", "SELECT 2"], script.Statements.Select(s => s.Text));
    }

    [Fact]
    public void Split_last_statement_without_semicolon_leaves_trailing_trivia()
    {
        const string source = "SELECT 1;\nSELECT 2 -- end\n";

        var script = SqlSplitter.Split(source);

        Assert.Equal("SELECT 2", script.Statements[1].Text);
        Assert.Equal(18, script.Statements[1].Extent.End.Offset);
        Assert.Equal(" -- end\n", source[script.TrailingExtent.Start.Offset..script.TrailingExtent.End.Offset]);
        Assert.Equal(new SourcePosition(source.Length, 3, 1), script.TrailingExtent.End);
    }

    [Fact]
    public void Split_tokens_match_lexer_significant_tokens()
    {
        const string source = "INSERT INTO t VALUES ('a', E'b\\'', $$c$$); UPDATE t SET x = :'v' WHERE y::int = $1";

        var script = SqlSplitter.Split(source);

        var fromLexer = SqlLexer.Tokenize(source).Where(t => !t.IsTrivia && t.Kind != TokenKind.Semicolon);
        Assert.Equal(fromLexer, script.Statements.SelectMany(s => s.Tokens));
    }
}
