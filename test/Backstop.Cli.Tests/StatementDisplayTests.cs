namespace Backstop.Cli.Tests;

/// <summary>Statements are shown as written, and names that need quotes are shown quoted.</summary>
public sealed class StatementDisplayTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Check_shows_first_words_as_written_and_quotes_names_that_need_it()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", "CREATE TABLE \"Order Lines\" (id int); INSERT INTO \"Order Lines\" VALUES (1), (2)");

        var result = await _workspace.RunAsync("check", "-e", "dev", "-c", "create index on \"Order Lines\" (id);\ndelete from \"Order Lines\" where id = 1;");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("  create index  ", result.Out, StringComparison.Ordinal);
        Assert.Contains("public.\"Order Lines\"", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("CREATE INDEX", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_refusal_names_transaction_control_as_written()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", "SELECT 1");

        var result = await _workspace.RunAsync("run", "-e", "dev", "-c", "savepoint \"Before\";");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("statement 1 at line 1, column 1 is transaction control (savepoint \"Before\")", result.Error, StringComparison.Ordinal);
    }
}
