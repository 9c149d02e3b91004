using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>With --json, standard output holds one JSON document on every path: refusals, usage errors, nothing to do.</summary>
public sealed class JsonPathTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Undo_of_a_change_that_changed_no_rows_prints_nothing_to_undo()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", "CREATE TABLE t (id int PRIMARY KEY)");
        var run = await _workspace.RunAsync("run", "-e", "dev", "-c", "UPDATE t SET id = id WHERE id = 1", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());

        var result = await _workspace.RunAsync("undo", run.ChangeId, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal("nothingToUndo", json.RootElement.GetProperty("outcome").GetString());
        Assert.Equal(long.Parse(run.ChangeId, System.Globalization.CultureInfo.InvariantCulture), json.RootElement.GetProperty("undoOf").GetInt64());
        Assert.Equal($"change {run.ChangeId} changed no rows: nothing to undo", json.RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Purge_that_needs_a_confirmation_not_given_prints_why()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", "SELECT 1");

        var result = await _workspace.RunAsync("purge", "-e", "dev", "--older-than", "1d", "--json");

        Assert.Equal(4, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal(4, json.RootElement.GetProperty("exitCode").GetInt32());
        Assert.Equal("needsConfirmation", json.RootElement.GetProperty("outcome").GetString());
        Assert.Equal("this change needs confirmation; re-run with --yes", json.RootElement.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("changes", "--json", "--bogus")]
    [InlineData("--json", "run", "-e")]
    [InlineData("sandbox", "stop", "--json")]
    public async Task Usage_error_prints_the_error_as_json_and_exits_2(params string[] args)
    {
        var result = await _workspace.RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal(2, json.RootElement.GetProperty("exitCode").GetInt32());
        Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task Refused_script_prints_the_reason_as_json()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", "CREATE TABLE t (id int); INSERT INTO t VALUES (1)");

        var result = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "DELETE FROM t \\g");

        Assert.Equal(2, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        Assert.StartsWith("statement 1 at line 1, column 1 contains the psql meta-command \\g", json.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM t"));
    }
}
