using System.Text.Json;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Cli.Tests;

/// <summary>backstop repair from another database (a clone) and from a backup, and its refusals of bad input.</summary>
public sealed class RepairTests : IDisposable
{
    private const string Orders = """
        CREATE TYPE order_state AS ENUM ('open', 'shipped');
        CREATE TABLE orders (id bigint PRIMARY KEY, customer int NOT NULL, total numeric(10, 2), state order_state NOT NULL DEFAULT 'open',
                             is_deleted boolean NOT NULL DEFAULT false, note text, doc json);
        INSERT INTO orders SELECT g, g % 50, g * 1.5, CASE WHEN g % 3 = 0 THEN 'shipped' ELSE 'open' END::order_state, false, 'order ' || g, '{"n": 1}'
        FROM generate_series(1, 20000) g;
        """;

    private readonly CliWorkspace _workspace = new();

    /// <summary>A database that plays the clone holding the right values: <paramref name="schema"/> run in a new database.</summary>
    private static async Task<string> CloneAsync(string schema)
    {
        var clone = await PostgresSandbox.CreateDatabaseAsync("clone");
        await PostgresSandbox.ExecuteAsync(clone, schema);
        return clone;
    }

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task A_two_way_repair_sets_back_the_column_keeps_the_others_and_can_be_undone()
    {
        var clone = await CloneAsync(Orders);
        var target = await _workspace.AddEnvironmentAsync("stage", "staging", Orders);
        await PostgresSandbox.ExecuteAsync(target, "UPDATE orders SET is_deleted = true; UPDATE orders SET note = 'edited later' WHERE id % 100 = 0;");

        var repair = await _workspace.RunAsync("repair", "-e", "stage", "--from", CliWorkspace.UrlOf(clone), "--table", "orders", "--columns", "is_deleted", "--yes", "--json");

        Assert.True(repair.ExitCode == 0, repair.ToString());
        using (var json = JsonDocument.Parse(repair.Out))
        {
            Assert.Equal(20000, json.RootElement.GetProperty("repair").GetProperty("updates").GetInt32());
            Assert.Equal("committed", json.RootElement.GetProperty("change").GetProperty("outcome").GetString());

            // The comparison counted the rows and the catalog shows nothing else is written: no dry run of the UPDATE.
            var preview = Assert.Single(json.RootElement.GetProperty("change").GetProperty("preview").EnumerateArray());
            Assert.True(preview.GetProperty("counted").GetBoolean());
            Assert.Equal(20000, preview.GetProperty("rowCount").GetInt64());
        }

        Assert.Equal(0, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM orders WHERE is_deleted"));
        Assert.Equal(200, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM orders WHERE note = 'edited later'"));

        using var change = JsonDocument.Parse(repair.Out);
        var id = change.RootElement.GetProperty("change").GetProperty("changeId").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var undo = await _workspace.RunAsync("undo", id, "--yes");
        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(20000, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM orders WHERE is_deleted"));
    }

    [Fact]
    public async Task A_table_with_a_trigger_that_writes_elsewhere_is_previewed_by_a_dry_run_and_its_trigger_writes_are_undone_too()
    {
        const string Audited = """
            CREATE TABLE audit (what text NOT NULL);
            CREATE FUNCTION audit_order() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES ('order ' || NEW.id || ' deleted ' || NEW.is_deleted); RETURN NULL; END $$;
            CREATE TRIGGER orders_audit AFTER UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION audit_order();
            """;
        var clone = await CloneAsync(Orders);
        var target = await _workspace.AddEnvironmentAsync("stage", "staging", Orders + Audited);
        await PostgresSandbox.ExecuteAsync(target, "UPDATE orders SET is_deleted = true WHERE id <= 30; TRUNCATE audit;");

        var repair = await _workspace.RunAsync("repair", "-e", "stage", "--from", CliWorkspace.UrlOf(clone), "--table", "orders", "--columns", "is_deleted", "--yes", "--json");

        Assert.True(repair.ExitCode == 0, repair.ToString());
        using var json = JsonDocument.Parse(repair.Out);
        var change = json.RootElement.GetProperty("change");
        var preview = Assert.Single(change.GetProperty("preview").EnumerateArray());
        Assert.False(preview.GetProperty("counted").GetBoolean());
        Assert.Equal(
            ["public.audit:30:0", "public.orders:0:30"],
            preview.GetProperty("tables").EnumerateArray().Select(t => $"{t.GetProperty("table").GetString()}:{t.GetProperty("inserted").GetInt64()}:{t.GetProperty("updated").GetInt64()}").Order(StringComparer.Ordinal));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM orders WHERE is_deleted"));
        Assert.Equal(30, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM audit"));

        var undo = await _workspace.RunAsync("undo", change.GetProperty("changeId").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), "--yes");

        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(30, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM orders WHERE is_deleted"));

        // The repair's 30 audit rows are gone; the 30 left are the ones the undo's own UPDATE wrote.
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM audit WHERE what LIKE '% deleted false'"));
        Assert.Equal(30, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM audit WHERE what LIKE '% deleted true'"));
    }

    [Fact]
    public async Task Updates_inserts_and_deletes_on_a_mixed_case_table_are_counted_by_the_comparison_and_repaired_in_one_run()
    {
        const string Sales = """
            CREATE SCHEMA "Sales";
            CREATE TABLE "Sales"."Orders" (id int PRIMARY KEY, "State" text NOT NULL);
            INSERT INTO "Sales"."Orders" SELECT g, 'open' FROM generate_series(1, 100) g;
            """;
        var clone = await CloneAsync(Sales);
        var target = await _workspace.AddEnvironmentAsync("stage", "staging", Sales);
        await PostgresSandbox.ExecuteAsync(target, """
            UPDATE "Sales"."Orders" SET "State" = 'lost' WHERE id <= 5;
            DELETE FROM "Sales"."Orders" WHERE id BETWEEN 50 AND 52;
            INSERT INTO "Sales"."Orders" VALUES (101, 'stray'), (102, 'stray');
            """);

        var repair = await _workspace.RunAsync(
            "repair", "-e", "stage", "--from", CliWorkspace.UrlOf(clone), "--table", "\"Sales\".\"Orders\"", "--restore-missing", "--delete-extra", "--yes", "--json");

        Assert.True(repair.ExitCode == 0, repair.ToString());
        using var json = JsonDocument.Parse(repair.Out);
        var change = json.RootElement.GetProperty("change");
        Assert.Equal("committed", change.GetProperty("outcome").GetString());
        var preview = change.GetProperty("preview").EnumerateArray().ToList();
        Assert.Equal(["UPDATE 5", "INSERT 0 3", "DELETE 2"], preview.Select(p => p.GetProperty("commandTag").GetString()));
        Assert.All(preview, p => Assert.True(p.GetProperty("counted").GetBoolean()));
        Assert.All(preview, p => Assert.Equal("\"Sales\".\"Orders\"", Assert.Single(p.GetProperty("tables").EnumerateArray()).GetProperty("table").GetString()));
        const string Content = """SELECT md5(string_agg(o::text, '|' ORDER BY id)) FROM "Sales"."Orders" o""";
        Assert.Equal(await PostgresSandbox.TextAsync(clone, Content), await PostgresSandbox.TextAsync(target, Content));
    }

    [Fact]
    public async Task A_few_scattered_differences_in_a_large_key_range_are_all_found_and_repaired()
    {
        // 20,000 keys in 64 ranges: these differences touch 5 of them, so only those ranges are read (through the key's
        // index); a row only in the target lies above the source's largest key.
        var clone = await CloneAsync(Orders);
        var target = await _workspace.AddEnvironmentAsync("stage", "staging", Orders + """
            UPDATE orders SET is_deleted = true, note = 'wrong' WHERE id IN (5, 6, 7000, 20000);
            DELETE FROM orders WHERE id = 12000;
            INSERT INTO orders (id, customer, total) VALUES (20500, 1, 1);
            """);

        var repair = await _workspace.RunAsync(
            "repair", "-e", "stage", "--from", CliWorkspace.UrlOf(clone), "--table", "orders", "--restore-missing", "--delete-extra", "--yes", "--json");

        Assert.True(repair.ExitCode == 0, repair.ToString());
        using (var json = JsonDocument.Parse(repair.Out))
        {
            var summary = json.RootElement.GetProperty("repair");
            Assert.Equal(4, summary.GetProperty("updates").GetInt32());
            Assert.Equal(1, summary.GetProperty("inserts").GetInt32());
            Assert.Equal(1, summary.GetProperty("deletes").GetInt32());
            Assert.True(summary.GetProperty("differingBuckets").GetInt32() <= 5, repair.Out);
        }

        const string Content = "SELECT md5(string_agg(o::text, ',' ORDER BY id)) FROM orders o";
        Assert.Equal(await PostgresSandbox.TextAsync(clone, Content), await PostgresSandbox.TextAsync(target, Content));
    }

    [Fact]
    public async Task A_where_on_columns_named_low_and_high_works_when_only_a_few_key_ranges_are_read()
    {
        const string Prices = """
            CREATE TABLE prices (id int PRIMARY KEY, low numeric, high numeric);
            INSERT INTO prices SELECT g, g, g + 1 FROM generate_series(1, 20000) g;
            """;
        var clone = await CloneAsync(Prices);
        var target = await _workspace.AddEnvironmentAsync("stage", "staging", Prices + "UPDATE prices SET high = 0 WHERE id IN (10, 15000);");

        var repair = await _workspace.RunAsync(
            "repair", "-e", "stage", "--from", CliWorkspace.UrlOf(clone), "--table", "prices", "--where", "low > 0 AND high IS NOT NULL", "--yes", "--json");

        Assert.True(repair.ExitCode == 0, repair.ToString());
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM prices WHERE high <> id + 1"));
    }

    [Fact]
    [Trait(TestSpeed.Name, TestSpeed.Slow)]
    public async Task A_repair_in_batches_commits_one_change_per_batch_each_undone_on_its_own()
    {
        var clone = await CloneAsync(Orders);
        var target = await _workspace.AddEnvironmentAsync("stage", "staging", Orders);
        await PostgresSandbox.ExecuteAsync(target, "UPDATE orders SET is_deleted = true WHERE id <= 12000; DELETE FROM orders WHERE id > 19000;");

        var repair = await _workspace.RunAsync(
            "repair", "-e", "stage", "--from", CliWorkspace.UrlOf(clone), "--table", "orders", "--restore-missing", "--batch-rows", "5000", "--yes", "--json");

        Assert.True(repair.ExitCode == 0, repair.ToString());
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM orders WHERE is_deleted"));
        Assert.Equal(20000, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM orders"));
        List<(string Id, long Rows)> changes;
        string undoAll;
        using (var json = JsonDocument.Parse(repair.Out))
        {
            undoAll = json.RootElement.GetProperty("undo").GetString()!;
            // 12,000 rows to set back in batches of 5,000 (1,000 re-inserted rows ride in the first): three changes.
            Assert.Equal(3, json.RootElement.GetProperty("batches").GetInt32());
            changes = json.RootElement.GetProperty("changes").EnumerateArray()
                .Select(c => (c.GetProperty("changeId").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), c.GetProperty("outcome").GetString() == "committed" ? 1L : 0L))
                .ToList();
        }

        Assert.Equal(3, changes.Count);
        Assert.All(changes, c => Assert.Equal(1L, c.Rows));

        // Undoing the last batch takes back its 2,000 rows only.
        var undo = await _workspace.RunAsync("undo", changes[2].Id, "--yes");

        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(2000, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM orders WHERE is_deleted"));
        Assert.Equal(20000, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM orders"));

        // The repair names the undos that take it all back, newest first; the other two finish the job.
        Assert.Equal($"backstop undo {changes[2].Id} && backstop undo {changes[1].Id} && backstop undo {changes[0].Id}", undoAll);
        foreach (var id in new[] { changes[1].Id, changes[0].Id })
        {
            var next = await _workspace.RunAsync("undo", id, "--yes");
            Assert.True(next.ExitCode == 0, next.ToString());
        }

        Assert.Equal(12000, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM orders WHERE is_deleted"));
        Assert.Equal(19000, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM orders"));
    }

    [Fact]
    public async Task A_negative_batch_size_is_a_usage_error()
    {
        var clone = await CloneAsync(Orders);
        await _workspace.AddEnvironmentAsync("stage", "staging", Orders);

        var result = await _workspace.RunAsync("repair", "-e", "stage", "--from", CliWorkspace.UrlOf(clone), "--table", "orders", "--batch-rows=-5", "--yes");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--batch-rows", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    [Trait(TestSpeed.Name, TestSpeed.Slow)]
    public async Task A_repair_from_a_backup_brings_deleted_rows_back_with_their_keys_and_deletes_nothing_extra()
    {
        var target = await _workspace.AddEnvironmentAsync("stage", "staging", Orders);
        var backup = await _workspace.RunAsync("backup", "run", "-e", "stage", "--json");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        using var json = JsonDocument.Parse(backup.Out);
        var id = json.RootElement.GetProperty("id").GetString()!;
        var before = await PostgresSandbox.TextAsync(target, "SELECT md5(string_agg(o::text, '|' ORDER BY id)) FROM orders o WHERE customer = 7");
        await PostgresSandbox.ExecuteAsync(target, "DELETE FROM orders WHERE customer = 7; INSERT INTO orders (id, customer) VALUES (900001, 7);");

        var dryRun = await _workspace.RunAsync("repair", "-e", "stage", "--from", "backup:" + id, "--table", "public.orders", "--restore-missing", "--dry-run");
        Assert.True(dryRun.ExitCode == 0, dryRun.ToString());
        Assert.Equal(19601, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM orders"));

        var repair = await _workspace.RunAsync("repair", "-e", "stage", "--from", "backup:" + id, "--table", "public.orders", "--restore-missing", "--yes");

        Assert.True(repair.ExitCode == 0, repair.ToString());
        Assert.Equal(before, await PostgresSandbox.TextAsync(target, "SELECT md5(string_agg(o::text, '|' ORDER BY id)) FROM orders o WHERE customer = 7 AND id <> 900001"));
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM orders WHERE id = 900001"));
    }

    [Theory]
    [InlineData("--table", "invoices", "there is no table 'invoices'")]
    [InlineData("--columns", "is_deletd", "has no column 'is_deletd' (--columns)")]
    [InlineData("--key", "customer", "the key (customer) is not unique in the source")]
    [InlineData("--where", "nonsense > 1", "--where does not work on public.orders")]
    public async Task Bad_input_is_a_usage_error_and_changes_nothing(string option, string value, string message)
    {
        var clone = await CloneAsync(Orders);
        var target = await _workspace.AddEnvironmentAsync("stage", "staging", Orders);
        await PostgresSandbox.ExecuteAsync(target, "UPDATE orders SET is_deleted = true");
        var args = new List<string> { "repair", "-e", "stage", "--from", CliWorkspace.UrlOf(clone), "--yes" };
        if (option != "--table")
        {
            args.AddRange(["--table", "orders"]);
        }

        args.AddRange([option, value]);
        var result = await _workspace.RunAsync([.. args]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.Equal(20000, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM orders WHERE is_deleted"));
    }

    [Fact]
    public async Task A_pitr_source_without_point_in_time_recovery_set_up_says_how_to_set_it_up()
    {
        await _workspace.AddEnvironmentAsync("stage", "staging", Orders);

        var result = await _workspace.RunAsync("repair", "-e", "stage", "--incident-at", "2026-11-18 11:00:00+00", "--table", "orders", "--yes");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("backstop pitr enable -e stage --pgdata PATH", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_where_that_tries_to_run_a_statement_of_its_own_is_refused_and_nothing_is_written()
    {
        var clone = await CloneAsync(Orders);
        var target = await _workspace.AddEnvironmentAsync("stage", "staging", Orders + "CREATE TABLE audit (id int); INSERT INTO audit SELECT generate_series(1, 50);");

        var injected = await _workspace.RunAsync("repair", "-e", "stage", "--from", CliWorkspace.UrlOf(clone), "--table", "orders", "--dry-run", "--where", "true); DELETE FROM audit; SELECT (true");
        var writing = await _workspace.RunAsync("repair", "-e", "stage", "--from", CliWorkspace.UrlOf(clone), "--table", "orders", "--dry-run", "--where", "id IN (SELECT 1 FROM (DELETE FROM audit RETURNING 1) AS d)");

        Assert.Equal(2, injected.ExitCode);
        Assert.Contains("--where must be one condition", injected.Error, StringComparison.Ordinal);
        Assert.Equal(2, writing.ExitCode);
        Assert.Equal(50, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM audit"));
    }

    [Fact]
    public async Task A_row_written_between_the_comparison_and_the_repair_stops_the_repair_and_nothing_is_repaired()
    {
        var clone = await CloneAsync(Orders);
        var target = await _workspace.AddEnvironmentAsync("prod", "production", Orders);
        await PostgresSandbox.ExecuteAsync(target, "UPDATE orders SET is_deleted = true WHERE id <= 100");

        // While the typed confirmation waits, an application sets one of the compared rows back by hand.
        var input = new WritingReader(target, "UPDATE orders SET is_deleted = false, note = 'fixed by hand' WHERE id = 7", "prod");
        var repair = await _workspace.RunWithInputAsync(input, interactive: true, "repair", "-e", "prod", "--from", CliWorkspace.UrlOf(clone), "--table", "orders", "--columns", "is_deleted");

        Assert.True(repair.ExitCode == 1, repair.ToString());
        Assert.Contains("the target changed since it was compared: 99 of 100 rows to set back", repair.All, StringComparison.Ordinal);
        Assert.Equal(99, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM orders WHERE is_deleted"));
    }

    [Fact]
    public async Task Values_that_compare_equal_but_are_different_data_are_repaired()
    {
        const string Plans = """
            CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
            CREATE TABLE plans (id int PRIMARY KEY, email text COLLATE ci, price numeric, period interval);
            INSERT INTO plans VALUES (1, 'Ann@Example.com', 10.50, '1 mon'), (2, 'bob@example.com', 3, '1 day');
            """;
        var clone = await CloneAsync(Plans);
        var target = await _workspace.AddEnvironmentAsync("stage", "staging", Plans);
        await PostgresSandbox.ExecuteAsync(target, "UPDATE plans SET email = lower(email), price = 10.5, period = '30 days' WHERE id = 1");

        var repair = await _workspace.RunAsync("repair", "-e", "stage", "--from", CliWorkspace.UrlOf(clone), "--table", "plans", "--yes");

        Assert.True(repair.ExitCode == 0, repair.ToString());
        Assert.Equal("Ann@Example.com 10.50 1 mon", await PostgresSandbox.TextAsync(target, "SELECT email || ' ' || price || ' ' || period FROM plans WHERE id = 1"));
    }

    /// <summary>Standard input whose next line is given only after a statement has run on a database: a write that lands while a prompt waits.</summary>
    private sealed class WritingReader(string connectionString, string sql, string line) : TextReader
    {
        public override async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            await PostgresSandbox.ExecuteAsync(connectionString, sql);
            return line;
        }

        public override string? ReadLine() => ReadLineAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }

    [Fact]
    public async Task Missing_rows_come_back_into_a_table_that_gained_a_column_since_with_its_default()
    {
        var clone = await CloneAsync(Orders);
        var target = await _workspace.AddEnvironmentAsync("stage", "staging", Orders);
        await PostgresSandbox.ExecuteAsync(target, "ALTER TABLE orders ADD COLUMN region text NOT NULL DEFAULT 'eu'; DELETE FROM orders WHERE id <= 11;");

        var repair = await _workspace.RunAsync("repair", "-e", "stage", "--from", CliWorkspace.UrlOf(clone), "--table", "orders", "--columns", "is_deleted", "--restore-missing", "--yes");

        Assert.True(repair.ExitCode == 0, repair.ToString());
        Assert.Equal(11, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM orders WHERE id <= 11 AND region = 'eu' AND note = 'order ' || id"));

        await PostgresSandbox.ExecuteAsync(target, "ALTER TABLE orders ADD COLUMN owner_id int NOT NULL DEFAULT 0; ALTER TABLE orders ALTER owner_id DROP DEFAULT; DELETE FROM orders WHERE id <= 3;");
        var refused = await _workspace.RunAsync("repair", "-e", "stage", "--from", CliWorkspace.UrlOf(clone), "--table", "orders", "--columns", "is_deleted", "--restore-missing", "--yes");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("its column 'owner_id' (integer, NOT NULL, no default) is not in the source", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_source_url_can_come_from_a_variable_so_that_no_password_is_on_the_command_line()
    {
        var clone = await CloneAsync(Orders);
        var target = await _workspace.AddEnvironmentAsync("stage", "staging", Orders);
        await PostgresSandbox.ExecuteAsync(target, "UPDATE orders SET is_deleted = true WHERE id <= 10");
        _workspace.Variables["CLONE_URL"] = CliWorkspace.UrlOf(clone);

        var repair = await _workspace.RunAsync("repair", "-e", "stage", "--from", "env:CLONE_URL", "--table", "orders", "--yes");
        var unset = await _workspace.RunAsync("repair", "-e", "stage", "--from", "env:NOT_SET", "--table", "orders", "--yes");

        Assert.True(repair.ExitCode == 0, repair.ToString());
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM orders WHERE is_deleted"));
        Assert.Equal(2, unset.ExitCode);
        Assert.Contains("export NOT_SET=postgresql://", unset.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_source_whose_column_type_differs_is_a_usage_error_and_changes_nothing()
    {
        var clone = await CloneAsync(Orders + "ALTER TABLE orders ALTER is_deleted DROP DEFAULT, ALTER is_deleted TYPE int USING is_deleted::int;");
        var target = await _workspace.AddEnvironmentAsync("stage", "staging", Orders);
        await PostgresSandbox.ExecuteAsync(target, "UPDATE orders SET is_deleted = true");

        var result = await _workspace.RunAsync("repair", "-e", "stage", "--from", CliWorkspace.UrlOf(clone), "--table", "orders", "--columns", "is_deleted", "--yes");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("column public.orders.is_deleted is boolean in the target but integer in the source", result.Error, StringComparison.Ordinal);
        Assert.Equal(20000, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM orders WHERE is_deleted"));
    }

    [Fact]
    [Trait(TestSpeed.Name, TestSpeed.Slow)]
    public async Task A_three_way_repair_keeps_later_writes_and_reports_rows_changed_again_as_conflicts()
    {
        var before = await PostgresSandbox.CreateDatabaseAsync("before");
        await PostgresSandbox.ExecuteAsync(before, Orders);
        var after = await PostgresSandbox.CreateDatabaseAsync("after");
        await PostgresSandbox.ExecuteAsync(after, Orders + "UPDATE orders SET is_deleted = true WHERE customer < 25;");
        var target = await _workspace.AddEnvironmentAsync("stage", "staging", Orders + "UPDATE orders SET is_deleted = true WHERE customer < 25;");

        // Later, legitimate writes: one row the mistake touched set again by hand, one it did not touch deleted on purpose.
        await PostgresSandbox.ExecuteAsync(target, "UPDATE orders SET is_deleted = false, note = 'restored by support' WHERE id = 1; UPDATE orders SET is_deleted = true WHERE id = 49;");

        var repair = await _workspace.RunAsync("repair", "-e", "stage", "--from", CliWorkspace.UrlOf(before), "--after", CliWorkspace.UrlOf(after), "--table", "orders", "--columns", "is_deleted", "--yes", "--json");

        Assert.True(repair.ExitCode == 0, repair.ToString());
        using var json = JsonDocument.Parse(repair.Out);
        var summary = json.RootElement.GetProperty("repair");
        Assert.Equal(9999, summary.GetProperty("updates").GetInt32());
        Assert.Equal(1, summary.GetProperty("conflicts").GetInt32());
        Assert.Equal(1, summary.GetProperty("laterWrites").GetInt64());
        Assert.Equal("1", summary.GetProperty("conflictRows")[0].GetProperty("key").GetProperty("id").GetString());
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM orders WHERE is_deleted"));
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(target, "SELECT count(*) FROM orders WHERE is_deleted AND id = 49"));
    }
}
