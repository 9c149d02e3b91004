using System.Text;
using Backstop.Core.Changes;

namespace Backstop.Core.Tests.Changes;

/// <summary>What would make the server run other text than the statement Backstop judged is refused before anything runs.</summary>
public sealed class ScriptAnalyzerPsqlTests
{
    [Theory]
    [InlineData("SELECT max(id) AS last FROM orders \\gset\nDELETE FROM orders WHERE id = 1;", "\\gset", "statement 1 at line 1, column 1", "line 1, column 36")]
    [InlineData("UPDATE orders SET total = 0 WHERE id = 1;\n\\c other\nDELETE FROM orders;", "\\c", "statement 2 at line 2, column 1", "line 2, column 1")]
    [InlineData("SELECT 1 \\; DELETE FROM orders;\nSELECT 2;", "\\;", "statement 1 at line 1, column 1", "line 1, column 10")]
    public void Analyze_meta_command_is_rejected_with_its_name_and_place(string script, string name, string statement, string at)
    {
        var error = Assert.Throws<ScriptRejectedException>(() => ScriptAnalyzer.Analyze(script));

        Assert.Equal(
            $"{statement} contains the psql meta-command {name} ({at}); only psql runs backslash commands, and Backstop sends each statement to the server as written, " +
            "so remove it from the script (run psql-only steps such as \\c, \\set or \\copy with psql itself)",
            error.Message);
    }

    [Fact]
    public void Analyze_copy_from_stdin_with_inline_data_is_rejected_before_the_data_is_read_as_sql()
    {
        var error = Assert.Throws<ScriptRejectedException>(() => ScriptAnalyzer.Analyze("UPDATE orders SET total = 0 WHERE id = 1;\nCOPY orders FROM stdin;\n1\tit's\n\\.\n"));

        Assert.Equal(
            "statement 2 at line 2, column 1 is COPY … FROM STDIN followed by inline data (line 2 to line 4), which only psql sends; load the rows with INSERT statements or COPY from a server-side file",
            error.Message);
    }

    [Theory]
    [InlineData("SET standard_conforming_strings = off;\nSELECT 'a\\', ' ; DELETE FROM victim; --';", "statement 1 at line 1, column 1 changes standard_conforming_strings (SET standard_conforming_strings at line 1, column 1); Backstop's sessions run with standard_conforming_strings = on")]
    [InlineData("SELECT 1;\nSELECT set_config('standard_conforming_strings', 'off', false);", "statement 2 at line 2, column 1 changes standard_conforming_strings (the name 'standard_conforming_strings' as a value (set_config, pg_settings) at line 2, column 19)")]
    [InlineData("ALTER DATABASE app SET standard_conforming_strings TO off", "statement 1 at line 1, column 1 changes standard_conforming_strings (SET standard_conforming_strings at line 1, column 20)")]
    [InlineData("SET NAMES 'SJIS'", "statement 1 at line 1, column 1 changes client_encoding (SET NAMES at line 1, column 1); Backstop's sessions send the script as UTF-8")]
    public void Analyze_change_of_a_lexical_setting_is_rejected(string script, string start)
    {
        var error = Assert.Throws<ScriptRejectedException>(() => ScriptAnalyzer.Analyze(script));

        Assert.StartsWith(start, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_nul_character_is_rejected_with_line_and_column()
    {
        var error = Assert.Throws<ScriptRejectedException>(() => ScriptAnalyzer.Analyze("SELECT 1;\nDELETE FROM orders\0 WHERE id = 1;"));

        Assert.Equal(
            "the script holds a NUL character at line 2, column 19; PostgreSQL cannot take one in a statement's text, so remove it (is this a binary file?); nothing was executed",
            error.Message);
    }

    [Fact]
    public void Decode_invalid_utf8_is_rejected_with_line_and_column()
    {
        byte[] bytes = [.. Encoding.UTF8.GetBytes("SELECT 'é';\nUPDATE t SET a = '"), 0xE9, .. "' WHERE id = 1;"u8];

        var error = Assert.Throws<ScriptRejectedException>(() => ScriptText.Decode(bytes, "the script file x.sql"));

        Assert.Equal(
            "the script file x.sql is not valid UTF-8: byte 0xE9 at line 2, column 19 (byte offset 31) starts no valid character; save the script as UTF-8 (for example `iconv -f LATIN1 -t UTF-8`); nothing was executed",
            error.Message);
    }

    [Fact]
    public void Decode_utf8_with_byte_order_mark_drops_the_mark()
    {
        Assert.Equal("SELECT 'é'", ScriptText.Decode([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("SELECT 'é'")], "x"));
    }
}
