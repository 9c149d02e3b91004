using Backstop.Sql.Classification;
using Backstop.Sql.Splitting;

namespace Backstop.Sql.Tests.Classification;

public sealed class LexicalSettingsTests
{
    [Theory]
    [InlineData("SET standard_conforming_strings = off", "standard_conforming_strings", "SET standard_conforming_strings")]
    [InlineData("set Standard_Conforming_Strings to off", "standard_conforming_strings", "set standard_conforming_strings")]
    [InlineData("SET LOCAL \"standard_conforming_strings\" = off", "standard_conforming_strings", "SET standard_conforming_strings")]
    [InlineData("SET SESSION standard_conforming_strings TO DEFAULT", "standard_conforming_strings", "SET standard_conforming_strings")]
    [InlineData("RESET standard_conforming_strings", "standard_conforming_strings", "RESET standard_conforming_strings")]
    [InlineData("ALTER DATABASE app SET standard_conforming_strings = off", "standard_conforming_strings", "SET standard_conforming_strings")]
    [InlineData("ALTER ROLE app IN DATABASE app SET standard_conforming_strings = off", "standard_conforming_strings", "SET standard_conforming_strings")]
    [InlineData("ALTER SYSTEM SET standard_conforming_strings = off", "standard_conforming_strings", "SET standard_conforming_strings")]
    [InlineData("ALTER ROLE app RESET standard_conforming_strings", "standard_conforming_strings", "RESET standard_conforming_strings")]
    [InlineData("CREATE FUNCTION f() RETURNS int LANGUAGE sql SET standard_conforming_strings = off AS 'SELECT 1'", "standard_conforming_strings", "SET standard_conforming_strings")]
    [InlineData("SELECT set_config('standard_conforming_strings', 'off', false)", "standard_conforming_strings", "the name 'standard_conforming_strings' as a value (set_config, pg_settings)")]
    [InlineData("select pg_catalog.set_config(E'STANDARD_CONFORMING_STRINGS', 'off', true)", "standard_conforming_strings", "the name 'standard_conforming_strings' as a value (set_config, pg_settings)")]
    [InlineData("UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings'", "standard_conforming_strings", "the name 'standard_conforming_strings' as a value (set_config, pg_settings)")]
    [InlineData("SET client_encoding = 'SJIS'", "client_encoding", "SET client_encoding")]
    [InlineData("SET NAMES 'SJIS'", "client_encoding", "SET NAMES")]
    [InlineData("SELECT set_config('client_encoding', 'BIG5', false)", "client_encoding", "the name 'client_encoding' as a value (set_config, pg_settings)")]
    public void FindChange_each_way_of_changing_a_lexical_setting_is_found(string sql, string setting, string how)
    {
        var change = LexicalSettings.FindChange(Single(sql));

        Assert.NotNull(change);
        Assert.Equal((setting, how), (change.Setting, change.How));
    }

    [Theory]
    [InlineData("SHOW standard_conforming_strings")]
    [InlineData("SELECT current_setting('standard_conforming_strings')")]
    [InlineData("SET search_path = app, public")]
    [InlineData("RESET ALL")]
    [InlineData("SET escape_string_warning = off")]
    [InlineData("UPDATE t SET note = 'client encoding' WHERE id = 1")]
    [InlineData("SELECT $$SET standard_conforming_strings = off$$")]
    public void FindChange_statement_that_leaves_the_settings_alone_is_null(string sql)
    {
        Assert.Null(LexicalSettings.FindChange(Single(sql)));
    }

    [Fact]
    public void FindChange_position_is_where_the_change_is_written()
    {
        var statements = SqlSplitter.Split("SELECT 1;\nUPDATE t SET a = 1\n  WHERE id = 2;\nSELECT x,\n   set_config('standard_conforming_strings', 'off', false)").Statements;

        var change = LexicalSettings.FindChange(statements[2]);

        Assert.Null(LexicalSettings.FindChange(statements[1]));
        Assert.Equal((5, 15), (change!.Position.Line, change.Position.Column));
    }

    private static SqlStatement Single(string sql) => Assert.Single(SqlSplitter.Split(sql).Statements);
}
