using Backstop.Core.Tests.Capture;
using Backstop.Core.Undo;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Core.Tests.Undo;

/// <summary>
/// Undo from before-images against a real server: every row back as it was, tables in an order their foreign keys
/// accept (see <see cref="UndoOrder"/>), and rows written since left alone.
/// </summary>
public sealed class UndoPlannerTests : IAsyncLifetime
{
    private const string Schema = """
        -- Each child's name sorts before its parent's: the planner, not the alphabet, puts parents first.
        CREATE TABLE publishers (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE books (id int PRIMARY KEY, publisher_id int NOT NULL REFERENCES publishers ON DELETE CASCADE, price numeric NOT NULL);
        INSERT INTO publishers SELECT g, 'publisher ' || g FROM generate_series(1, 10) g;
        INSERT INTO books SELECT g, 1 + g % 10, g * 1.5 FROM generate_series(1, 100) g;

        -- A foreign key without ON DELETE: a writer deleted before their articles fails.
        CREATE TABLE writers (id int PRIMARY KEY);
        CREATE TABLE articles (id int PRIMARY KEY, writer_id int NOT NULL REFERENCES writers);

        CREATE TABLE employees (id int PRIMARY KEY, manager_id int REFERENCES employees ON DELETE CASCADE, name text NOT NULL);
        INSERT INTO employees VALUES (1, NULL, 'ceo'), (2, 1, 'cto'), (3, 1, 'cfo'), (4, 2, 'dev'), (5, 2, 'ops'), (6, 3, 'audit'), (7, 4, 'intern');
        """;

    private string _database = "";

    public async Task InitializeAsync()
    {
        _database = await PostgresSandbox.CreateDatabaseAsync("undo");
        await PostgresSandbox.ExecuteAsync(_database, Schema);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Undo_of_a_cascading_delete_puts_parents_back_before_children_with_every_row_as_it_was()
    {
        var before = await SnapshotAsync("publishers", "books");
        var change = await CapturedChanges.RunAsync(_database, "DELETE FROM publishers WHERE id <= 3", "publishers", "books");

        var plan = await CapturedChanges.UndoAsync(_database, change);

        Assert.Equal(["public.publishers", "public.books"], plan.Tables);
        Assert.Equal(new long?[] { 3, 30 }, plan.ExpectedRows);
        Assert.Equal(before, await SnapshotAsync("publishers", "books"));
    }

    [Fact]
    public async Task Undo_of_inserts_deletes_children_before_the_parents_they_reference()
    {
        var change = await CapturedChanges.RunAsync(
            _database, "INSERT INTO writers VALUES (1), (2); INSERT INTO articles VALUES (10, 1), (11, 1), (12, 2)", "writers", "articles");

        var plan = await CapturedChanges.UndoAsync(_database, change);

        Assert.Equal(["public.writers", "public.articles"], plan.Tables);
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_database, "SELECT (SELECT count(*) FROM writers) + (SELECT count(*) FROM articles)"));
    }

    [Fact]
    public async Task Undo_of_a_delete_in_a_self_referencing_table_brings_the_whole_hierarchy_back_in_one_statement()
    {
        var before = await SnapshotAsync("employees");
        var change = await CapturedChanges.RunAsync(_database, "DELETE FROM employees WHERE id = 1", "employees");
        Assert.Equal(7, change.Table("employees").Deleted);

        var plan = await CapturedChanges.UndoAsync(_database, change);

        Assert.Equal(new long?[] { 7 }, plan.ExpectedRows);
        Assert.Equal(before, await SnapshotAsync("employees"));
    }

    [Fact]
    public async Task Undo_of_a_delete_across_a_cycle_of_deferred_foreign_keys_brings_both_tables_back()
    {
        await PostgresSandbox.ExecuteAsync(_database, """
            CREATE TABLE players (id int PRIMARY KEY, team_id int NOT NULL);
            CREATE TABLE teams (id int PRIMARY KEY, captain_id int NOT NULL REFERENCES players DEFERRABLE INITIALLY DEFERRED);
            ALTER TABLE players ADD FOREIGN KEY (team_id) REFERENCES teams DEFERRABLE INITIALLY DEFERRED;
            BEGIN;
            INSERT INTO players VALUES (1, 1), (2, 1), (3, 2);
            INSERT INTO teams VALUES (1, 1), (2, 3);
            COMMIT;
            """);
        var before = await SnapshotAsync("players", "teams");
        var change = await CapturedChanges.RunAsync(_database, "DELETE FROM teams; DELETE FROM players", "players", "teams");

        var plan = await CapturedChanges.UndoAsync(_database, change);

        // No parents-first order exists: players comes back first, pointing at teams not yet back, and the keys are checked at commit.
        Assert.Equal(["public.players", "public.teams"], plan.Tables);
        Assert.Equal(before, await SnapshotAsync("players", "teams"));
    }

    [Fact]
    public async Task Undo_of_a_delete_across_a_cycle_of_immediate_foreign_keys_fails_whole_and_changes_nothing()
    {
        await PostgresSandbox.ExecuteAsync(_database, """
            CREATE TABLE left_side (id int PRIMARY KEY, right_id int);
            CREATE TABLE right_side (id int PRIMARY KEY, left_id int NOT NULL REFERENCES left_side ON DELETE CASCADE);
            ALTER TABLE left_side ADD FOREIGN KEY (right_id) REFERENCES right_side ON DELETE CASCADE;
            INSERT INTO left_side VALUES (1, NULL);
            INSERT INTO right_side VALUES (1, 1);
            UPDATE left_side SET right_id = 1;
            """);
        var change = await CapturedChanges.RunAsync(_database, "DELETE FROM left_side", "left_side", "right_side");

        // left_side's row comes back first and points at right_side's, which is not back yet.
        var error = await Assert.ThrowsAsync<PostgresException>(() => CapturedChanges.UndoAsync(_database, change));

        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, error.SqlState);
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_database, "SELECT (SELECT count(*) FROM left_side) + (SELECT count(*) FROM right_side)"));
    }

    [Fact]
    public async Task Undo_leaves_a_row_written_since_the_change_and_FindConflictsAsync_names_it()
    {
        var change = await CapturedChanges.RunAsync(_database, "UPDATE books SET price = 0 WHERE id <= 5", "books");
        await PostgresSandbox.ExecuteAsync(_database, "UPDATE books SET price = 42 WHERE id = 3");

        await using (var connection = new NpgsqlConnection(_database))
        {
            await connection.OpenAsync();
            var plan = await UndoPlanner.PlanAsync(connection, change.ChangeId, change.LocalId, CancellationToken.None);
            var conflict = Assert.Single(await UndoPlanner.FindConflictsAsync(connection, plan, CancellationToken.None));
            Assert.Equal(("public.books", "{\"id\": 3}", "changed after the change"), (conflict.Table, conflict.Key, conflict.Reason));
        }

        await CapturedChanges.UndoAsync(_database, change);

        Assert.Equal("1.5 3.0 42 6.0 7.5", await PostgresSandbox.TextAsync(_database, "SELECT string_agg(price::text, ' ' ORDER BY id) FROM books WHERE id <= 5"));
    }

    [Fact]
    public async Task PlanAsync_change_the_database_has_no_record_of_is_unavailable()
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();

        var error = await Assert.ThrowsAsync<UndoUnavailableException>(() => UndoPlanner.PlanAsync(connection, Guid.NewGuid(), 99, CancellationToken.None));

        Assert.Equal("the target database has no record of change 99 in backstop.changes: it did not commit, or its before-images were purged; nothing was changed", error.Message);
    }

    [Fact]
    public async Task PlanAsync_table_dropped_since_the_change_is_unavailable_and_points_at_the_recycle_bin()
    {
        var change = await CapturedChanges.RunAsync(_database, "DELETE FROM books WHERE id = 1", "books");
        await PostgresSandbox.ExecuteAsync(_database, "DROP TABLE books");
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();

        var error = await Assert.ThrowsAsync<UndoUnavailableException>(() => UndoPlanner.PlanAsync(connection, change.ChangeId, change.LocalId, CancellationToken.None));

        Assert.Equal($"a table change {change.LocalId} wrote no longer exists (it was dropped since); restore it first (see `backstop trash list`)", error.Message);
    }

    private async Task<string?> SnapshotAsync(params string[] tables)
    {
        var rows = string.Join(" UNION ALL ", tables.Select(t => $"SELECT '{t}' AS t, to_jsonb(x)::text AS r FROM {t} x"));
        return await PostgresSandbox.TextAsync(_database, $"SELECT coalesce(string_agg(t || ' ' || r, E'\\n' ORDER BY t, r), '') FROM ({rows}) s");
    }
}
