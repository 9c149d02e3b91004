using System.Globalization;
using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary>Undo edges found in review: moved keys with cascades, nested writes, new tables.</summary>
public sealed class UndoEdgeTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    /// <summary>A query for one number that changes when any row of <paramref name="table"/> does (its rows' text, in key order).</summary>
    private static string ContentHash(string table, string orderBy) =>
        $"SELECT ('x' || left(md5(string_agg(r::text, '|' ORDER BY {orderBy})), 15))::bit(60)::bigint FROM {table} r";

    [Fact]
    public async Task Undo_of_moved_primary_keys_keeps_the_children_that_followed_them()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", """
            CREATE TABLE parent (id int PRIMARY KEY, name text);
            CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent ON UPDATE CASCADE ON DELETE CASCADE);
            INSERT INTO parent VALUES (1, 'a'), (2, 'b');
            INSERT INTO child VALUES (10, 1), (11, 1), (12, 2);
            """);
        const string state = "SELECT ('x' || left(md5((SELECT string_agg(p::text, '|' ORDER BY id) FROM parent p) || (SELECT string_agg(c::text, '|' ORDER BY id) FROM child c)), 15))::bit(60)::bigint";
        var before = await PostgresSandbox.ScalarAsync(database, state);
        var change = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "UPDATE parent SET id = id + 1000");

        var undo = await _workspace.RunAsync("undo", change.ChangeId);

        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(3, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM child"));
        Assert.Equal(before, await PostgresSandbox.ScalarAsync(database, state));
    }

    [Fact]
    public async Task Undo_of_keys_moved_by_a_before_row_trigger_puts_them_back()
    {
        // The key is not in the UPDATE's SET list: the row trigger moves it. Capture must still keep the new rows.
        var database = await _workspace.AddEnvironmentAsync("dev", "development", """
            CREATE TABLE ticket (id int PRIMARY KEY, state text NOT NULL);
            CREATE FUNCTION archive_id() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.state = 'archived' THEN NEW.id := OLD.id + 100000; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER ticket_archive_id BEFORE UPDATE ON ticket FOR EACH ROW EXECUTE FUNCTION archive_id();
            INSERT INTO ticket SELECT g, 'open' FROM generate_series(1, 50) g;
            """);
        var state = ContentHash("ticket", "id");
        var before = await PostgresSandbox.ScalarAsync(database, state);
        var change = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "UPDATE ticket SET state = 'archived' WHERE id <= 20");
        Assert.True(change.ExitCode == 0, change.ToString());
        Assert.Equal(20, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM ticket WHERE id > 100000"));

        var undo = await _workspace.RunAsync("undo", change.ChangeId);

        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(before, await PostgresSandbox.ScalarAsync(database, state));
    }

    [Fact]
    public async Task A_later_write_is_a_conflict_even_when_it_sets_the_values_the_change_left()
    {
        // Rows are known unchanged by their row version (xmin), not by value: a later write of the same values is
        // still a write undo must not overwrite unasked.
        var database = await _workspace.AddEnvironmentAsync("dev", "development", """
            CREATE TABLE item (id int PRIMARY KEY, price int NOT NULL);
            INSERT INTO item SELECT g, 10 FROM generate_series(1, 30) g;
            """);
        var change = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "UPDATE item SET price = 20");
        Assert.True(change.ExitCode == 0, change.ToString());
        await PostgresSandbox.ExecuteAsync(database, "UPDATE item SET price = 20 WHERE id IN (3, 7)");

        var stopped = await _workspace.RunAsync("undo", change.ChangeId, "--json");
        var skipped = await _workspace.RunAsync("undo", change.ChangeId, "--skip-conflicts");

        Assert.Equal(5, stopped.ExitCode);
        using (var json = JsonDocument.Parse(stopped.Out))
        {
            var keys = json.RootElement.GetProperty("conflicts").EnumerateArray().Select(c => c.GetProperty("key").GetString()).ToList();
            Assert.Equal(["{\"id\": 3}", "{\"id\": 7}"], keys);
        }

        Assert.True(skipped.ExitCode == 0, skipped.ToString());
        Assert.Equal(28, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM item WHERE price = 10"));
        Assert.Equal(2, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM item WHERE price = 20 AND id IN (3, 7)"));
    }

    [Fact]
    public async Task Undo_restores_the_first_image_when_a_row_trigger_rewrites_the_same_rows()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", """
            CREATE TABLE acct (id int PRIMARY KEY, balance int NOT NULL, touched int NOT NULL DEFAULT 0);
            CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE acct SET touched = touched + 1 WHERE id = NEW.id;
                RETURN NULL;
            END $$;
            -- Fires on withdrawals only, so the undo (a deposit back) does not fire it again.
            CREATE TRIGGER acct_touch AFTER UPDATE ON acct FOR EACH ROW WHEN (NEW.balance < OLD.balance) EXECUTE FUNCTION touch();
            INSERT INTO acct (id, balance) SELECT g, 100 FROM generate_series(1, 20) g;
            """);
        var state = ContentHash("acct", "id");
        var before = await PostgresSandbox.ScalarAsync(database, state);
        var change = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "UPDATE acct SET balance = balance - 10 WHERE id <= 5");
        Assert.True(change.ExitCode == 0, change.ToString());

        var undo = await _workspace.RunAsync("undo", change.ChangeId);

        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(before, await PostgresSandbox.ScalarAsync(database, state));
    }

    [Fact]
    public async Task Writes_of_deferred_triggers_are_measured_captured_and_undone()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", """
            CREATE TABLE dt (id int PRIMARY KEY, v int);
            CREATE TABLE dt_side (id int PRIMARY KEY, note text);
            CREATE FUNCTION dt_after() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM dt_side WHERE id = NEW.id; RETURN NULL; END $$;
            CREATE CONSTRAINT TRIGGER dt_deferred AFTER UPDATE ON dt DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.v > OLD.v) EXECUTE FUNCTION dt_after();
            INSERT INTO dt SELECT g, 1 FROM generate_series(1, 10) g;
            INSERT INTO dt_side SELECT g, 'side ' || g FROM generate_series(1, 10) g;
            """);

        var change = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "UPDATE dt SET v = 2 WHERE id <= 3");
        Assert.True(change.ExitCode == 0, change.ToString());
        Assert.Contains("public.dt_side", change.Out, StringComparison.Ordinal);
        Assert.Equal(7, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM dt_side"));

        var undo = await _workspace.RunAsync("undo", change.ChangeId);

        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(10, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM dt_side"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM dt WHERE v = 2"));
    }

    [Fact]
    public async Task Undo_stops_when_a_trigger_would_delete_rows_again_that_it_restores()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", """
            CREATE TABLE dt (id int PRIMARY KEY, v int);
            CREATE TABLE dt_side (id int PRIMARY KEY, note text);
            CREATE FUNCTION dt_after() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM dt_side WHERE id = NEW.id; RETURN NULL; END $$;
            CREATE TRIGGER dt_after AFTER UPDATE ON dt FOR EACH ROW EXECUTE FUNCTION dt_after();
            INSERT INTO dt SELECT g, 1 FROM generate_series(1, 10) g;
            INSERT INTO dt_side SELECT g, 'side ' || g FROM generate_series(1, 10) g;
            """);
        var change = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "UPDATE dt SET v = 2 WHERE id <= 3");

        var undo = await _workspace.RunAsync("undo", change.ChangeId);

        Assert.Equal(1, undo.ExitCode);
        Assert.Contains("would also change rows it did not capture", undo.Error, StringComparison.Ordinal);
        Assert.Equal(3, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM dt WHERE v = 2"));
        Assert.Equal(7, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM dt_side"));
    }

    [Fact]
    public async Task Update_that_moves_rows_between_partitions_is_captured_and_undone()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", """
            CREATE TABLE pt (k int NOT NULL, id int NOT NULL, v text, PRIMARY KEY (k, id)) PARTITION BY RANGE (k);
            CREATE TABLE pt_low PARTITION OF pt FOR VALUES FROM (0) TO (10);
            CREATE TABLE pt_high PARTITION OF pt FOR VALUES FROM (10) TO (100);
            INSERT INTO pt SELECT g % 10, g, 'v' || g FROM generate_series(1, 50) g;
            """);
        var state = ContentHash("pt", "k, id");
        var before = await PostgresSandbox.ScalarAsync(database, state);

        var change = await _workspace.RunAsync("run", "-e", "dev", "--json", "-c", "UPDATE pt SET k = k + 10 WHERE id <= 5");
        Assert.True(change.ExitCode == 0, change.ToString());
        Assert.Equal(5, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM pt_high"));
        var undo = await _workspace.RunAsync("undo", change.ChangeId);

        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(before, await PostgresSandbox.ScalarAsync(database, state));
    }

    [Fact]
    public async Task Run_that_creates_a_table_and_fills_it_commits()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", "CREATE TABLE seed (id int PRIMARY KEY)");

        var run = await _workspace.RunAsync("run", "-e", "dev", "-c", "CREATE TABLE fresh (id int PRIMARY KEY); INSERT INTO fresh SELECT generate_series(1, 10)");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(10, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM fresh"));
    }
}
