using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>
/// The text Backstop judges is the text the server runs: a statement hidden behind a backslash-quote, a psql meta-command or
/// a change of standard_conforming_strings never runs unjudged, whatever the server's default.
/// </summary>
public sealed class HiddenStatementTests : IDisposable
{
    private const string Schema = "CREATE TABLE victim (id int PRIMARY KEY); INSERT INTO victim SELECT generate_series(1, 5);";

    // With standard_conforming_strings off, the server reads 'a\', ' as one string and runs the DELETE after it.
    private const string Hidden = "SELECT 'a\\', ' ; DELETE FROM victim; --'";

    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Theory]
    [InlineData("off", "check")]
    [InlineData("off", "run")]
    [InlineData("on", "check")]
    [InlineData("on", "run")]
    public async Task Hidden_delete_behind_backslash_quote_never_runs_whatever_the_database_default(string databaseDefault, string verb)
    {
        var database = await DatabaseWithDefaultAsync(databaseDefault);

        var result = await _workspace.RunAsync(verb, "-e", "dev", "-c", Hidden + ";");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Statement 1", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Statement 2", result.Out, StringComparison.Ordinal);
        Assert.Contains("Rows changed in all: 0", result.Out, StringComparison.Ordinal);
        Assert.Equal(5, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM victim"));
    }

    [Theory]
    [InlineData("check")]
    [InlineData("run")]
    public async Task Script_that_turns_standard_conforming_strings_off_exits_2_and_runs_nothing(string verb)
    {
        var database = await DatabaseWithDefaultAsync("on");

        var result = await _workspace.RunAsync(verb, "-e", "dev", "-c", "DELETE FROM victim WHERE id = 1;\nset Standard_Conforming_Strings TO off;\n" + Hidden + ";");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(
            "statement 2 at line 2, column 1 changes standard_conforming_strings (set standard_conforming_strings at line 2, column 1); Backstop's sessions run with standard_conforming_strings = on",
            result.Error,
            StringComparison.Ordinal);
        Assert.Equal(5, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM victim"));
    }

    [Theory]
    [InlineData("check")]
    [InlineData("run")]
    public async Task Setting_turned_off_at_run_time_is_put_back_before_the_next_statement(string verb)
    {
        // The setting's name is built at run time, so no reading of the text can see it: the session puts it back instead.
        var database = await DatabaseWithDefaultAsync("off");

        var result = await _workspace.RunAsync(verb, "-e", "dev", "-c", "SELECT set_config('standard_' || 'conforming_strings', 'off', false);\n" + Hidden + ";");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(5, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM victim"));
    }

    [Theory]
    [InlineData("SELECT max(id) AS last FROM victim \\gset\nDELETE FROM victim;", "statement 1 at line 1, column 1 contains the psql meta-command \\gset (line 1, column 36)")]
    [InlineData("UPDATE victim SET id = id WHERE id = 1;\n\\c postgres\nDELETE FROM victim;", "statement 2 at line 2, column 1 contains the psql meta-command \\c (line 2, column 1)")]
    [InlineData("COPY victim FROM STDIN;\n6\n7\n\\.\nDELETE FROM victim;", "statement 1 at line 1, column 1 is COPY … FROM STDIN followed by inline data (line 1 to line 4), which only psql sends")]
    public async Task Run_psql_only_syntax_exits_2_with_position_and_runs_nothing(string script, string message)
    {
        var database = await DatabaseWithDefaultAsync("on");

        var result = await _workspace.RunAsync("run", "-e", "dev", "-c", script);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.Equal(5, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM victim"));
    }

    private async Task<string> DatabaseWithDefaultAsync(string standardConformingStrings)
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", Schema);
        var name = new Npgsql.NpgsqlConnectionStringBuilder(database).Database!;
        await PostgresSandbox.ExecuteAsync(database, $"ALTER DATABASE {Postgres.PgIdentifier.Quote(name)} SET standard_conforming_strings = {standardConformingStrings}");
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(database) { Pooling = false };
        Assert.Equal(standardConformingStrings, await PostgresSandbox.TextAsync(builder.ConnectionString, "SHOW standard_conforming_strings"));
        return database;
    }
}
