using System.Globalization;
using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>The two incidents taken back with `backstop undo`, against a real database.</summary>
public sealed class UndoTests : IDisposable
{
    /// <summary>User 1 owns 300 leads and 3,000 conversations; the rest belong to others.</summary>
    private const string TenantSchema = """
        CREATE TABLE organizations (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
        CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, organization_id bigint NOT NULL REFERENCES organizations ON DELETE CASCADE, email text NOT NULL);
        CREATE TABLE leads (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE, company text, score numeric(5, 2));
        CREATE TABLE conversations (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, lead_id bigint NOT NULL REFERENCES leads ON DELETE CASCADE, body text,
                                    body_length int GENERATED ALWAYS AS (length(body)) STORED);
        INSERT INTO organizations (name) VALUES ('acme'), ('globex');
        INSERT INTO users (organization_id, email) SELECT 1 + g % 2, 'u' || g || '@example.com' FROM generate_series(1, 10) g;
        INSERT INTO leads (user_id, company, score) SELECT CASE WHEN g <= 300 THEN 1 ELSE 2 + g % 9 END, 'company ' || g, g % 100 + 0.25 FROM generate_series(1, 600) g;
        INSERT INTO conversations (lead_id, body) SELECT 1 + (g - 1) / 10, 'message ' || g || ' with ''quotes'' and ; semicolons' FROM generate_series(1, 6000) g;
        -- json has no equality operator: undo compares these rows through jsonb, the others column by column.
        CREATE TABLE orders (id int PRIMARY KEY, note text, is_deleted boolean NOT NULL DEFAULT false, meta json NOT NULL DEFAULT '{"source": "web"}');
        INSERT INTO orders (id) SELECT g FROM generate_series(1, 5000) g;
        """;

    private static readonly string[] Tables = ["organizations", "users", "leads", "conversations", "orders"];

    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Undo_cascading_delete_brings_every_row_of_every_table_back_with_the_same_ids()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", TenantSchema);
        var before = await HashesAsync(database);

        var delete = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "DELETE FROM users WHERE id = 1");
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM conversations WHERE lead_id <= 300"));
        var changeId = delete.ChangeId;

        var undo = await _workspace.RunAsync("undo", changeId, "--json");

        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(before, await HashesAsync(database));
        using var json = JsonDocument.Parse(undo.Out);
        var inserted = json.RootElement.GetProperty("statements").EnumerateArray().SelectMany(s => s.GetProperty("tables").EnumerateArray())
            .GroupBy(t => t.GetProperty("table").GetString()!).ToDictionary(g => g.Key, g => g.Sum(t => t.GetProperty("inserted").GetInt64()));
        Assert.Equal(1, inserted["public.users"]);
        Assert.Equal(300, inserted["public.leads"]);
        Assert.Equal(3000, inserted["public.conversations"]);
    }

    [Fact]
    public async Task Undo_of_truncate_cascade_restores_every_truncated_table()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", TenantSchema);
        var before = await HashesAsync(database);

        var truncate = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "TRUNCATE leads CASCADE");
        Assert.True(truncate.ExitCode == 0, truncate.ToString());
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM conversations"));

        var undo = await _workspace.RunAsync("undo", truncate.ChangeId);

        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(before, await HashesAsync(database));
    }

    [Fact]
    public async Task Undo_of_an_undo_deletes_the_restored_rows_again()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", TenantSchema);
        var delete = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "DELETE FROM users WHERE id = 1");
        var afterDelete = await HashesAsync(database);
        var undo = await _workspace.RunAsync("undo", delete.ChangeId, "--json");

        var redo = await _workspace.RunAsync("undo", undo.ChangeId, "--json");
        var again = await _workspace.RunAsync("undo", delete.ChangeId);

        Assert.True(redo.ExitCode == 0, redo.ToString());
        Assert.Equal(afterDelete, await HashesAsync(database));
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already undone", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Undo_with_later_writes_stops_with_exit_5_then_skip_conflicts_keeps_them()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", TenantSchema);
        var update = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "UPDATE orders SET is_deleted = true");
        Assert.True(update.ExitCode == 0, update.ToString());

        // Fifty later writes from another connection, to rows the change touched.
        await PostgresSandbox.ExecuteAsync(database, "UPDATE orders SET note = 'refunded later' WHERE id % 100 = 0");

        var stopped = await _workspace.RunAsync("undo", update.ChangeId, "--json");

        Assert.Equal(5, stopped.ExitCode);
        using (var json = JsonDocument.Parse(stopped.Out))
        {
            var conflicts = json.RootElement.GetProperty("conflicts").EnumerateArray().ToList();
            Assert.Equal(50, conflicts.Count);
            Assert.All(conflicts, c => Assert.Equal("changed after the change", c.GetProperty("reason").GetString()));
            Assert.Contains(conflicts, c => c.GetProperty("key").GetString() == "{\"id\": 100}");
        }

        Assert.Equal(5000, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM orders WHERE is_deleted"));

        var skipped = await _workspace.RunAsync("undo", update.ChangeId, "--skip-conflicts");

        Assert.True(skipped.ExitCode == 0, skipped.ToString());
        Assert.Equal(50, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM orders WHERE is_deleted"));
        Assert.Equal(50, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM orders WHERE is_deleted AND note = 'refunded later' AND id % 100 = 0"));
        Assert.Equal(4950, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM orders WHERE NOT is_deleted AND note IS NULL"));
    }

    [Fact]
    public async Task Undo_of_inserts_deletes_them_and_a_taken_key_is_a_conflict()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", TenantSchema);
        var insert = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "INSERT INTO orders (id, note) SELECT g, 'new' FROM generate_series(6001, 6010) g");
        var delete = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "DELETE FROM orders WHERE id = 42");
        await PostgresSandbox.ExecuteAsync(database, "INSERT INTO orders (id, note) VALUES (42, 'someone else')");

        var undoInsert = await _workspace.RunAsync("undo", insert.ChangeId);
        var undoDelete = await _workspace.RunAsync("undo", delete.ChangeId, "--json");

        Assert.True(undoInsert.ExitCode == 0, undoInsert.ToString());
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM orders WHERE id > 6000"));
        Assert.Equal(5, undoDelete.ExitCode);
        Assert.Contains("its key was taken after the change", undoDelete.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Undo_of_a_table_without_primary_key_matches_whole_rows_duplicates_included()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", """
            CREATE TABLE events (kind text, n int, at date);
            INSERT INTO events SELECT CASE WHEN g % 3 = 0 THEN 'a' ELSE 'b' END, g % 5, NULL FROM generate_series(1, 300) g;
            INSERT INTO events SELECT 'a', 1, NULL FROM generate_series(1, 20);
            """);
        const string multiset = "SELECT ('x' || left(md5(string_agg(e::text, '|' ORDER BY e::text)), 15))::bit(60)::bigint FROM events e";
        var before = await PostgresSandbox.ScalarAsync(database, multiset);
        var update = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "UPDATE events SET n = n + 10 WHERE kind = 'a'; DELETE FROM events WHERE kind = 'b' AND n = 2");
        Assert.True(update.ExitCode == 0, update.ToString());

        var undo = await _workspace.RunAsync("undo", update.ChangeId);

        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(before, await PostgresSandbox.ScalarAsync(database, multiset));
    }

    [Fact]
    public async Task Undo_of_a_table_without_primary_key_reports_rows_changed_since_as_conflicts()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", """
            CREATE TABLE events (kind text, n int);
            INSERT INTO events SELECT 'a', g FROM generate_series(1, 10) g;
            """);
        var update = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "UPDATE events SET n = n * 100");
        await PostgresSandbox.ExecuteAsync(database, "UPDATE events SET kind = 'changed later' WHERE n = 300");

        var undo = await _workspace.RunAsync("undo", update.ChangeId, "--json");

        Assert.Equal(5, undo.ExitCode);
        Assert.Contains("0 of the 1 copies the change added are left", undo.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_that_adds_a_column_and_backfills_it_is_captured_and_undone()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", TenantSchema);

        var change = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c",
            "ALTER TABLE orders ADD COLUMN region text; UPDATE orders SET region = 'eu' WHERE id <= 100; DELETE FROM orders WHERE id > 4990");
        Assert.True(change.ExitCode == 0, change.ToString());
        var undo = await _workspace.RunAsync("undo", change.ChangeId);

        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(5000, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM orders"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM orders WHERE region IS NOT NULL"));
    }

    [Fact]
    public async Task Undo_of_a_change_that_was_not_committed_exits_2()
    {
        await _workspace.AddEnvironmentAsync("prod", "production", TenantSchema);
        var denied = await _workspace.RunAsync("run", "-e", "prod", "--json", "-c", "DELETE FROM orders");

        var undo = await _workspace.RunAsync("undo", denied.ChangeId);

        Assert.Equal(2, undo.ExitCode);
        Assert.Contains("was not committed", undo.Error, StringComparison.Ordinal);
    }

    /// <summary>Each table's content, row by row in key order, as one hash.</summary>
    private static async Task<Dictionary<string, long>> HashesAsync(string database)
    {
        var hashes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var table in Tables)
        {
            hashes[table] = await PostgresSandbox.ScalarAsync(database,
                $"SELECT coalesce(('x' || left(md5(string_agg(t::text, '|' ORDER BY t.id)), 15))::bit(60)::bigint, 0) FROM {table} t");
        }

        return hashes;
    }
}
