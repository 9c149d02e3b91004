using Backstop.Core.Changes;
using Backstop.Sql.Classification;

namespace Backstop.Core.Tests.Changes;

public sealed class ScriptAnalyzerTests
{
    [Fact]
    public void Analyze_script_splits_and_classifies_each_statement()
    {
        const string script = "SELECT count(*) FROM orders;\nUPDATE orders SET is_deleted = true\n  WHERE id = 7;\n  DELETE FROM users";

        var statements = ScriptAnalyzer.Analyze(script);

        Assert.Equal([0, 1, 2], statements.Select(s => s.Index));
        Assert.Equal([StatementKind.Select, StatementKind.Update, StatementKind.Delete], statements.Select(s => s.Info.Kind));
        Assert.Equal(["line 1, column 1", "line 2, column 1", "line 4, column 3"], statements.Select(s => s.Location));
        Assert.True(statements[2].Info.AffectsAllRows);
        Assert.False(statements[1].Info.AffectsAllRows);
    }

    [Fact]
    public void Analyze_cast_is_not_a_psql_variable()
    {
        var statement = Assert.Single(ScriptAnalyzer.Analyze("UPDATE orders SET total = '12.50'::numeric WHERE id = 1"));

        Assert.Empty(statement.Info.PsqlVariables);
    }

    [Theory]
    [InlineData("BEGIN;\nUPDATE orders SET total = 0 WHERE id = 1;\nCOMMIT;", "statement 1 at line 1, column 1 is transaction control (BEGIN)")]
    [InlineData("UPDATE orders SET total = 0 WHERE id = 1;\nCOMMIT;", "statement 2 at line 2, column 1 is transaction control (COMMIT)")]
    [InlineData("UPDATE orders SET total = 0 WHERE id = 1;\n  SAVEPOINT before_cleanup;", "statement 2 at line 2, column 3 is transaction control (SAVEPOINT before_cleanup)")]
    public void Analyze_transaction_control_is_rejected(string script, string start)
    {
        var error = Assert.Throws<ScriptRejectedException>(() => ScriptAnalyzer.Analyze(script));

        Assert.StartsWith(start, error.Message, StringComparison.Ordinal);
        Assert.EndsWith("so remove BEGIN/COMMIT/ROLLBACK/SAVEPOINT from the script", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_psql_variable_is_rejected_with_its_name()
    {
        var error = Assert.Throws<ScriptRejectedException>(() => ScriptAnalyzer.Analyze("SELECT 1;\nDELETE FROM orders WHERE id = :order_id"));

        Assert.Equal(
            "statement 2 at line 2, column 1 uses the psql variable :order_id; only psql substitutes variables, so put the value into the script",
            error.Message);
    }

    [Theory]
    [InlineData("COPY orders FROM STDIN")]
    [InlineData("COPY orders (id, total) FROM stdin WITH (FORMAT csv)")]
    [InlineData("COPY orders TO STDOUT")]
    public void Analyze_copy_through_the_client_is_rejected(string script)
    {
        var error = Assert.Throws<ScriptRejectedException>(() => ScriptAnalyzer.Analyze(script));

        Assert.Equal(
            "statement 1 at line 1, column 1 copies from or to the client (STDIN/STDOUT), which needs psql's data stream; use a server-side file or INSERT statements",
            error.Message);
    }

    [Fact]
    public void Analyze_copy_from_a_server_file_is_accepted()
    {
        var statement = Assert.Single(ScriptAnalyzer.Analyze("COPY orders FROM '/srv/import/orders.csv' WITH (FORMAT csv)"));

        Assert.Equal(StatementKind.CopyFrom, statement.Info.Kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\t")]
    [InlineData("-- nothing to do\n/* really */ ;;")]
    public void Analyze_script_without_statements_is_rejected(string script)
    {
        var error = Assert.Throws<ScriptRejectedException>(() => ScriptAnalyzer.Analyze(script));

        Assert.Equal("the script has no statements", error.Message);
    }

    [Fact]
    public void Analyze_unterminated_string_names_line_and_column_where_it_starts()
    {
        var error = Assert.Throws<ScriptRejectedException>(() => ScriptAnalyzer.Analyze("SELECT 1;\nUPDATE orders SET note = 'oops WHERE id = 1;\n"));

        Assert.Equal("unterminated quoted string at line 2, column 26; nothing was executed", error.Message);
    }

    [Fact]
    public void Analyze_unterminated_dollar_quote_names_line_and_column()
    {
        var error = Assert.Throws<ScriptRejectedException>(() => ScriptAnalyzer.Analyze("DO $body$\nBEGIN\n  PERFORM 1;\nEND\n"));

        Assert.Equal("unterminated dollar-quoted string $body$ at line 1, column 4; nothing was executed", error.Message);
    }
}
