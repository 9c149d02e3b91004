using System.Globalization;
using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>ALTER TABLE … DROP COLUMN keeps the column's values first, and undo puts the column back.</summary>
public sealed class DropColumnUndoTests : IDisposable
{
    private const string Schema = """
        CREATE TABLE leads (id int PRIMARY KEY, company text);
        INSERT INTO leads SELECT g, 'company ' || g FROM generate_series(1, 500) g;
        ALTER TABLE leads ADD COLUMN stage text NOT NULL DEFAULT 'new';
        UPDATE leads SET stage = 'won' WHERE id % 7 = 0;
        """;

    private const string Stages = "SELECT ('x' || left(md5(string_agg(id || ':' || stage, '|' ORDER BY id)), 15))::bit(60)::bigint FROM leads";

    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Undo_of_drop_column_brings_back_the_column_with_its_values_default_and_not_null()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", Schema);
        var before = await PostgresSandbox.ScalarAsync(database, Stages);

        var drop = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "ALTER TABLE leads DROP COLUMN stage");
        Assert.True(drop.ExitCode == 0, drop.ToString());
        var undo = await _workspace.RunAsync("undo", drop.ChangeId);

        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(before, await PostgresSandbox.ScalarAsync(database, Stages));
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(database,
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'leads' AND column_name = 'stage' AND is_nullable = 'NO' AND column_default = $$'new'::text$$"));
    }

    [Fact]
    public async Task Drop_column_of_a_table_without_primary_key_is_refused_and_nothing_is_dropped()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", "CREATE TABLE dn (a int, x int); INSERT INTO dn VALUES (1, 10), (1, 20);");

        var drop = await _workspace.RunAsync("run", "-e", "dev", "-c", "ALTER TABLE dn DROP COLUMN x");

        Assert.Equal(1, drop.ExitCode);
        Assert.Contains("no primary key", drop.Error, StringComparison.Ordinal);
        Assert.Equal(30, await PostgresSandbox.ScalarAsync(database, "SELECT sum(x) FROM dn"));
    }

    [Fact]
    public async Task Drop_column_that_owns_a_sequence_is_refused_and_nothing_is_dropped()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", "CREATE TABLE ds (id int PRIMARY KEY, n serial); INSERT INTO ds (id) VALUES (1), (2);");

        var drop = await _workspace.RunAsync("run", "-e", "dev", "-c", "ALTER TABLE ds DROP COLUMN n");

        Assert.Equal(1, drop.ExitCode);
        Assert.Contains("owns a sequence", drop.Error, StringComparison.Ordinal);
        Assert.Equal(3, await PostgresSandbox.ScalarAsync(database, "SELECT sum(n) FROM ds"));
    }

    [Fact]
    public async Task Undo_of_drop_column_restores_a_default_that_names_a_function_of_another_schema()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", """
            CREATE SCHEMA util;
            CREATE FUNCTION util.stage_default() RETURNS text LANGUAGE sql AS $$ SELECT 'fresh' $$;
            CREATE TABLE leads (id int PRIMARY KEY, stage text DEFAULT util.stage_default());
            INSERT INTO leads (id) SELECT generate_series(1, 5);
            """);
        var drop = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "ALTER TABLE leads DROP COLUMN stage");

        var undo = await _workspace.RunAsync("undo", drop.ChangeId);
        await PostgresSandbox.ExecuteAsync(database, "INSERT INTO leads (id) VALUES (6)");

        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(6, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM leads WHERE stage = 'fresh'"));
    }

    [Fact]
    public async Task Drop_column_mixed_with_other_statements_is_refused_with_exit_2()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", Schema);

        var mixed = await _workspace.RunAsync("run", "-e", "dev", "-c", "ALTER TABLE leads DROP COLUMN stage; DELETE FROM leads WHERE id = 1");

        Assert.Equal(2, mixed.ExitCode);
        Assert.Contains("script of its own", mixed.Error, StringComparison.Ordinal);
        Assert.Equal(500, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM leads"));
    }
}
