using Backstop.Sql.Lexing;
using Backstop.Sql.Splitting;

namespace Backstop.Sql.Tests.Splitting;

public sealed class PsqlOnlySyntaxTests
{
    [Theory]
    [InlineData("SELECT id FROM t \\gset\nDELETE FROM victim;", "\\gset", 1, 18)]
    [InlineData("\\d orders\nDELETE FROM victim;", "\\d", 1, 1)]
    [InlineData("\\c otherdb\nDELETE FROM victim;", "\\c", 1, 1)]
    [InlineData("\\set id 7\nDELETE FROM victim;", "\\set", 1, 1)]
    [InlineData("SELECT 1 \\; DELETE FROM victim;\nSELECT 2;", "\\;", 1, 10)]
    [InlineData("\\copy victim to 'out.csv'\nSELECT 1;", "\\copy", 1, 1)]
    [InlineData("\\i other.sql\nSELECT 1;", "\\i", 1, 1)]
    [InlineData("\\if :flag\n  DELETE FROM victim;\n\\endif", "\\if", 1, 1)]
    [InlineData("SELECT 1;\n  \\quit", "\\quit", 2, 3)]
    [InlineData("SELECT 1;\n\\q\n", "\\q", 2, 1)]
    [InlineData("UPDATE t SET a = 1\n  WHERE id = 2 \\g", "\\g", 2, 16)]
    public void FindFirst_meta_command_names_it_and_where_it_starts(string script, string name, int line, int column)
    {
        var statements = SqlSplitter.Split(script).Statements;

        var found = statements.Select(PsqlMetaCommands.FindFirst).First(f => f is not null)!.Value;

        Assert.Equal(name, found.Name);
        Assert.Equal((line, column), (found.Position.Line, found.Position.Column));
    }

    [Fact]
    public void Split_meta_command_is_not_glued_into_a_statement_that_runs()
    {
        // psql runs "SELECT 1" with \gset, then the DELETE on its own; the statement that holds \gset is refused as a whole.
        var script = SqlSplitter.Split("SELECT 1 \\gset\nDELETE FROM victim;");

        var statement = Assert.Single(script.Statements);
        Assert.Contains(statement.Tokens, t => t.Kind == TokenKind.PsqlMetaCommand);
    }

    [Theory]
    [InlineData("SELECT 'a\\b', E'\\\\', $$\\d$$ -- \\c\n/* \\q */ FROM t")]
    [InlineData("SELECT \"a\\b\" FROM t")]
    public void FindFirst_backslash_inside_literal_or_comment_is_no_meta_command(string sql)
    {
        var statement = Assert.Single(SqlSplitter.Split(sql).Statements);

        Assert.Null(PsqlMetaCommands.FindFirst(statement));
    }

    [Fact]
    public void Split_copy_from_stdin_skips_inline_data_through_its_end_marker()
    {
        const string script = "COPY victim (id, note) FROM STDIN;\n1\tit's; not SQL\n2\t$$ nor this\n\\.\nSELECT 2;";

        var statements = SqlSplitter.Split(script).Statements;

        Assert.Equal(["COPY victim (id, note) FROM STDIN", "SELECT 2"], statements.Select(s => s.Text));
        var data = Assert.IsType<SourceSpan>(statements[0].InlineCopyData);
        Assert.Equal((1, 4), (data.Start.Line, data.End.Line));
        Assert.Null(statements[1].InlineCopyData);
        Assert.Equal(5, statements[1].Span.Start.Line);
    }

    [Fact]
    public void Split_copy_from_stdin_without_end_marker_takes_the_rest_as_data()
    {
        var statements = SqlSplitter.Split("copy victim from stdin;\n1\n2 'x\r\nDELETE FROM victim;").Statements;

        var statement = Assert.Single(statements);
        Assert.Equal((4, 20), (statement.InlineCopyData!.Value.End.Line, statement.InlineCopyData!.Value.End.Column));
    }

    [Fact]
    public void Split_copy_meta_command_from_stdin_skips_inline_data()
    {
        var statements = SqlSplitter.Split("\\copy victim from stdin\n1\tit's\n\\.\nSELECT 2;").Statements;

        var statement = Assert.Single(statements);
        Assert.Equal(("\\copy", 1), (PsqlMetaCommands.FindFirst(statement)!.Value.Name, statement.InlineCopyData!.Value.Start.Line));
        Assert.Equal("\\copy victim from stdin\n1\tit's\n\\.\nSELECT 2", statement.Text);
    }

    [Fact]
    public void Split_copy_from_a_server_file_has_no_inline_data()
    {
        var statements = SqlSplitter.Split("COPY victim FROM '/srv/in.csv';\nSELECT 'x';").Statements;

        Assert.Equal(2, statements.Count);
        Assert.All(statements, s => Assert.Null(s.InlineCopyData));
    }
}
