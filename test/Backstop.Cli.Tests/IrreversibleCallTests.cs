using System.Text.Json;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Cli.Tests;

/// <summary>
/// A preview rolls back, but some effects no rollback takes back: `check` must never run them, and production asks a
/// second person for them. Backstop's own objects are off limits to scripts.
/// </summary>
public sealed class IrreversibleCallTests : IDisposable
{
    private const string Schema = """
        CREATE TABLE leads (id serial PRIMARY KEY, name text);
        INSERT INTO leads (name) SELECT 'lead ' || g FROM generate_series(1, 50) g;
        SELECT lo_from_bytea(424242, 'kept bytes');
        """;

    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Check_never_terminates_a_session_moves_a_sequence_reloads_configuration_or_removes_a_large_object()
    {
        var database = await _workspace.AddEnvironmentAsync("prod", "production", Schema);
        await using var victim = new NpgsqlConnection(database);
        await victim.OpenAsync();
        var pid = victim.ProcessID;
        var sequenceBefore = await PostgresSandbox.ScalarAsync(database, "SELECT last_value FROM leads_id_seq");

        foreach (var (script, function) in new[]
        {
            ($"SELECT pg_terminate_backend({pid})", "pg_terminate_backend()"),
            ($"SELECT pg_cancel_backend({pid})", "pg_cancel_backend()"),
            ("SELECT setval('leads_id_seq', 1)", "setval()"),
            ("SELECT pg_reload_conf()", "pg_reload_conf()"),
            ("SELECT pg_advisory_lock(7)", "pg_advisory_lock()"),
            ("DO $$ BEGIN PERFORM setval('leads_id_seq', 1); END $$", "setval()"),
        })
        {
            var check = await _workspace.RunAsync("check", "-e", "prod", "--json", "-c", script);

            Assert.True(check.ExitCode == 4, $"{script}: {check}");
            using var json = JsonDocument.Parse(check.Out);
            Assert.Equal("approve", json.RootElement.GetProperty("verdict").GetString());
            Assert.Contains("calls " + function, check.Out, StringComparison.Ordinal);
        }

        await using (var alive = new NpgsqlCommand("SELECT 1", victim))
        {
            Assert.Equal(1, await alive.ExecuteScalarAsync());
        }

        Assert.Equal(sequenceBefore, await PostgresSandbox.ScalarAsync(database, "SELECT last_value FROM leads_id_seq"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"));
    }

    [Fact]
    public async Task Lo_unlink_is_previewed_and_rolled_back_needs_approval_on_production_and_is_undone_on_development()
    {
        var production = await _workspace.AddEnvironmentAsync("prod", "production", Schema);
        var development = await _workspace.AddEnvironmentAsync("dev", "development", Schema);
        const string unlink = "DO $$ BEGIN PERFORM lo_unlink(424242); END $$";

        var check = await _workspace.RunAsync("check", "-e", "prod", "--json", "-c", unlink);
        var run = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", unlink);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(development, "SELECT count(*) FROM pg_largeobject_metadata WHERE oid = 424242"));
        var undo = await _workspace.RunAsync("undo", run.ChangeId, "--yes");

        Assert.True(check.ExitCode == 4, check.ToString());
        Assert.Contains("removed 1 large object (424242)", check.Out, StringComparison.Ordinal);
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(production, "SELECT count(*) FROM pg_largeobject_metadata WHERE oid = 424242"));
        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal("kept bytes", await PostgresSandbox.TextAsync(development, "SELECT convert_from(lo_get(424242), 'UTF8')"));
    }

    [Theory]
    [InlineData("DELETE FROM backstop.changes")]
    [InlineData("DROP SCHEMA backstop CASCADE")]
    [InlineData("UPDATE backstop.trash SET row_estimate = 0")]
    public async Task A_script_that_names_Backstops_own_objects_is_refused_with_exit_2(string script)
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", Schema);
        Assert.Equal(0, (await _workspace.RunAsync("run", "-e", "dev", "-c", "DELETE FROM leads WHERE id = 1")).ExitCode);

        var run = await _workspace.RunAsync("run", "-e", "dev", "-c", script);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("which is Backstop's own", run.Error, StringComparison.Ordinal);
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM backstop.changes"));
    }

    [Fact]
    public async Task A_function_that_writes_into_Backstops_schema_is_refused_with_exit_2_and_undo_still_works()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", Schema + """
            CREATE FUNCTION tamper() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'DELETE FROM backstop.change_tables'; END $$;
            """);
        var delete = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "DELETE FROM leads WHERE id <= 10");
        Assert.True(delete.ExitCode == 0, delete.ToString());

        var tamper = await _workspace.RunAsync("run", "-e", "dev", "-c", "SELECT tamper()");
        var undo = await _workspace.RunAsync("undo", delete.ChangeId, "--yes");

        Assert.True(tamper.ExitCode == 2, tamper.ToString());
        Assert.Contains("backstop.change_tables, which is Backstop's own", tamper.Error, StringComparison.Ordinal);
        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(50, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM leads"));
    }

    [Fact]
    public async Task A_backstop_schema_from_a_newer_Backstop_is_refused_with_exit_2_and_left_as_it_is()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", Schema);
        Assert.Equal(0, (await _workspace.RunAsync("run", "-e", "dev", "-c", "DELETE FROM leads WHERE id = 1")).ExitCode);
        await PostgresSandbox.ExecuteAsync(database, "INSERT INTO backstop.schema_version (version, name) VALUES (99, 'from the future')");

        var run = await _workspace.RunAsync("run", "-e", "dev", "-c", "DELETE FROM leads WHERE id = 2");

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("is at version 99, migrated by a newer Backstop", run.Error, StringComparison.Ordinal);
        Assert.Equal(49, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM leads"));
        Assert.Equal(99, await PostgresSandbox.ScalarAsync(database, "SELECT max(version) FROM backstop.schema_version"));
    }
}
