using Backstop.Testing;
using Npgsql;

namespace Backstop.Cli.Tests;

/// <summary>
/// The backstop schema in a target database keeps its version in backstop.schema_version: a new one is created at the
/// newest, one of the previous release (Fixtures/backstop-schema-ff7d716.sql, versioned by its comment) is taken over
/// or migrated with a line saying so, and its changes stay undoable; a newer one is refused with exit 2.
/// </summary>
[Trait("Area", "State")]
public sealed class CaptureSchemaVersionTests : IDisposable
{
    private const string Tables = """
        CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
        INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 10) g;
        """;

    private const string Comment = "SELECT obj_description('backstop'::regnamespace, 'pg_namespace')";

    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Run_on_a_new_database_creates_the_schema_at_the_newest_version_without_a_note()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", Tables);

        var run = await _workspace.RunAsync("run", "-e", "dev", "-c", "DELETE FROM customers WHERE id = 1");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain("migrated", run.Error, StringComparison.Ordinal);
        Assert.Equal(6, await PostgresSandbox.ScalarAsync(database, "SELECT max(version) FROM backstop.schema_version"));
        Assert.Equal(3, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM backstop.schema_version"));
        Assert.Equal("Backstop: change log and before-images (format 6)", await PostgresSandbox.TextAsync(database, Comment));
    }

    [Fact]
    public async Task Run_on_the_previous_releases_schema_migrates_it_and_the_change_can_be_undone()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", Tables + await PreviousReleaseSchemaAsync());

        var run = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "UPDATE customers SET name = 'changed' WHERE id <= 3");
        var undo = await _workspace.RunAsync("undo", run.ChangeId, "--yes");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(6, await PostgresSandbox.ScalarAsync(database, "SELECT max(version) FROM backstop.schema_version"));
        // Taken over at version 4 (its comment), which is not recorded again, and migrated from there.
        Assert.Equal("trigger_functions_without_plans,persistent_row_capture", await PostgresSandbox.TextAsync(database, "SELECT string_agg(name, ',' ORDER BY version) FROM backstop.schema_version"));
        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM customers WHERE name = 'changed'"));
    }

    [Fact]
    public async Task Run_on_a_schema_of_format_3_migrates_it_to_the_newest_version_and_says_so_on_standard_error()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", Tables + await PreviousReleaseSchemaAsync() + """
            ;
            DROP TABLE backstop.large_objects;
            ALTER TABLE backstop.trash DROP COLUMN rows_estimated;
            COMMENT ON SCHEMA backstop IS 'Backstop: change log and before-images (format 3)';
            """);

        var run = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "DELETE FROM customers WHERE id = 2");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"note: migrated the backstop schema of database {new NpgsqlConnectionStringBuilder(database).Database} from version 3 to 6", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("migrated", run.Out, StringComparison.Ordinal);
        Assert.NotEmpty(run.ChangeId);
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM pg_tables WHERE schemaname = 'backstop' AND tablename = 'large_objects'"));
        Assert.Equal("Backstop: change log and before-images (format 6)", await PostgresSandbox.TextAsync(database, Comment));
        Assert.Equal(9, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM customers"));
    }

    [Fact]
    public async Task Run_on_a_schema_whose_comment_names_a_newer_format_is_refused_with_exit_2_naming_both_versions()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", Tables + await PreviousReleaseSchemaAsync() + """
            ;
            COMMENT ON SCHEMA backstop IS 'Backstop: change log and before-images (format 7)';
            """);

        var run = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "DELETE FROM customers WHERE id = 2");

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal(
            $"the backstop schema of database {new NpgsqlConnectionStringBuilder(database).Database} is at version 7, migrated by a newer Backstop than this one " +
            "(which knows versions up to 6); nothing was changed. Upgrade Backstop on this machine",
            run.JsonError);
        Assert.Equal(10, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM customers"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM pg_tables WHERE schemaname = 'backstop' AND tablename = 'schema_version'"));
    }

    private static Task<string> PreviousReleaseSchemaAsync() =>
        File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "backstop-schema-ff7d716.sql"));
}
