using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>
/// <c>state: postgresql://…</c> (or <c>env:VARNAME</c>) in backstop.yaml keeps changes and backups in that database
/// instead of the file; its password only ever comes from the environment, and is never shown.
/// </summary>
[Trait("Area", "State")]
public sealed class StateInPostgresTests : IDisposable
{
    private const string Password = "hunter2-state";

    private readonly CliWorkspace _workspace = new() { StateInPostgres = false };

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Run_changes_and_show_with_state_in_PostgreSQL_record_the_change_there_and_no_state_file()
    {
        var state = await TestState.CreateDatabaseAsync();
        Assert.Equal(0, (await _workspace.RunAsync("init")).ExitCode);
        await File.AppendAllTextAsync(_workspace.ConfigPath, $"\nstate: {state}\n");
        await _workspace.AddEnvironmentAsync("dev", "development", "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 5);");

        var run = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "DELETE FROM t WHERE id <= 2");
        var changes = await _workspace.RunAsync("changes", "--json");
        var show = await _workspace.RunAsync("show", run.ChangeId, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using (var listed = JsonDocument.Parse(changes.Out))
        {
            var change = Assert.Single(listed.RootElement.GetProperty("changes").EnumerateArray());
            Assert.Equal("committed", change.GetProperty("outcome").GetString());
            Assert.Equal(2, change.GetProperty("rowsChanged").GetInt64());
        }

        using (var shown = JsonDocument.Parse(show.Out))
        {
            Assert.Equal("DELETE FROM t WHERE id <= 2", shown.RootElement.GetProperty("script").GetString());
        }

        Assert.Equal(1, await PostgresSandbox.ScalarAsync(ConnectionStringOf(state), "SELECT count(*) FROM backstop_state.changes WHERE outcome = 'Committed'"));
        Assert.False(File.Exists(Path.Combine(_workspace.Directory, ".backstop", "state.db")));
    }

    [Fact]
    public async Task Any_command_state_url_with_a_password_in_backstop_yaml_is_refused_with_exit_2_at_its_line_without_showing_it()
    {
        await File.WriteAllTextAsync(_workspace.ConfigPath, $"environments:\nstate: postgresql://backstop:{Password}@db.example.com/state\n");

        var result = await _workspace.RunAsync("changes", "--json");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(
            $"{_workspace.ConfigPath}:2:8: the state store's URL contains a password, and Backstop never keeps passwords in backstop.yaml; " +
            "remove it and keep it in ~/.pgpass, or put the whole URL in an environment variable or a file only the server may read and write state: env:VARNAME or state: file:/PATH",
            result.JsonError);
        Assert.DoesNotContain(Password, result.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Any_command_state_from_a_variable_that_is_not_set_is_refused_with_exit_2_naming_it()
    {
        await File.WriteAllTextAsync(_workspace.ConfigPath, "environments:\nstate: env:TEAM_STATE_URL\n");

        var result = await _workspace.RunAsync("backup", "list", "--json");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(
            $"the state store's URL is read from the variable TEAM_STATE_URL (state: in {_workspace.ConfigPath}), which is not set; export TEAM_STATE_URL=postgresql://…",
            result.JsonError);
    }

    [Fact]
    public async Task Changes_state_database_of_a_newer_Backstop_is_refused_with_exit_2_naming_both_versions_and_never_the_password()
    {
        var state = await TestState.CreateDatabaseAsync();
        await File.WriteAllTextAsync(_workspace.ConfigPath, "environments:\nstate: env:TEAM_STATE_URL\n");
        _workspace.Variables["TEAM_STATE_URL"] = state.Replace("postgres@", $"postgres:{Password}@", StringComparison.Ordinal);
        Assert.Equal(0, (await _workspace.RunAsync("changes")).ExitCode);
        await PostgresSandbox.ExecuteAsync(ConnectionStringOf(state), "INSERT INTO backstop_state.schema_version (version, name) VALUES (40, 'from_the_future')");

        var result = await _workspace.RunAsync("changes", "--json");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"(schema backstop_state) was written by a newer Backstop (its schema version is 40; this Backstop knows versions up to {Core.State.StateSchema.Version})", result.JsonError, StringComparison.Ordinal);
        Assert.Contains("Upgrade Backstop to use it", result.JsonError, StringComparison.Ordinal);
        Assert.StartsWith("the state database postgresql://postgres:****@", result.JsonError, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, result.All, StringComparison.Ordinal);
    }

    private static string ConnectionStringOf(string url) => Postgres.Connections.PgUrl.Parse(url).ToConnectionString();
}
