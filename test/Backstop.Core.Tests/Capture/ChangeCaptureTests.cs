using Backstop.Core.Preview;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Core.Tests.Capture;

/// <summary>
/// Capture in the change's own transaction (DESIGN.md, D3): every row a change writes in the tables it was set up for is
/// counted and kept, cascades included; nothing of it stays behind when the change rolls back, nor any trigger after it.
/// </summary>
public sealed class ChangeCaptureTests : IAsyncLifetime
{
    private const string Schema = """
        CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers ON DELETE CASCADE, total numeric NOT NULL);
        CREATE TABLE notes (body text, at int);
        INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 10) g;
        INSERT INTO orders SELECT g, 1 + g % 10, g * 1.5 FROM generate_series(1, 100) g;
        INSERT INTO notes VALUES ('a', 1), ('a', 1), ('b', 2);
        """;

    private string _database = "";

    public async Task InitializeAsync()
    {
        _database = await PostgresSandbox.CreateDatabaseAsync("capture");
        await PostgresSandbox.ExecuteAsync(_database, Schema);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task EndAsync_counts_every_row_written_per_table_cascaded_deletes_included()
    {
        // Customer 1 has orders 10, 20, …, 100: the DELETE cascades into those ten, and order 20 is gone before the UPDATE.
        var change = await CapturedChanges.RunAsync(
            _database,
            "DELETE FROM customers WHERE id = 1; UPDATE orders SET total = 0 WHERE id BETWEEN 20 AND 29; INSERT INTO customers VALUES (11, 'new')",
            "customers", "orders");

        Assert.Equal((1, 0, 1), Counts(change, "customers"));
        Assert.Equal((0, 9, 10), Counts(change, "orders"));
        Assert.Equal(2, await PostgresSandbox.ScalarAsync(_database, $"SELECT count(*) FROM backstop.change_tables WHERE change_id = '{change.ChangeId}'"));
        Assert.Equal(21, await PostgresSandbox.ScalarAsync(_database, $"SELECT sum(inserted + updated + deleted) FROM backstop.change_tables WHERE change_id = '{change.ChangeId}'"));
    }

    [Fact]
    public async Task BeginAsync_records_the_change_in_the_target_databases_log_with_its_transaction()
    {
        var change = await CapturedChanges.RunAsync(_database, "UPDATE customers SET name = 'x' WHERE id = 2", "customers");

        Assert.Equal(
            $"{change.LocalId} test tester true",
            await PostgresSandbox.TextAsync(_database, $"SELECT local_id || ' ' || environment || ' ' || os_user || ' ' || (xact_id IS NOT NULL) FROM backstop.changes WHERE change_id = '{change.ChangeId}'"));
    }

    [Fact]
    public async Task EndAsync_drops_the_capture_triggers_so_nothing_is_captured_after_the_change()
    {
        await CapturedChanges.RunAsync(_database, "DELETE FROM orders WHERE id <= 5", "orders", "customers");

        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_database, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'backstop%'"));
        await PostgresSandbox.ExecuteAsync(_database, "DELETE FROM orders WHERE id <= 10");
        Assert.Equal(5, await PostgresSandbox.ScalarAsync(_database, "SELECT sum(deleted) FROM backstop.change_tables"));
    }

    [Fact]
    public async Task RunAsync_rolled_back_leaves_no_record_no_images_and_no_rows_changed()
    {
        var change = await CapturedChanges.RunAsync(_database, "DELETE FROM orders", commit: false, "orders");

        Assert.Equal(100, Counts(change, "orders").Deleted);
        Assert.Equal(100, await PostgresSandbox.ScalarAsync(_database, "SELECT count(*) FROM orders"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_database, "SELECT count(*) FROM pg_class WHERE relname LIKE 'img\\_%'"));
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_database, "SELECT count(*) FROM backstop.changes"));
    }

    [Fact]
    public async Task BeginAsync_table_the_change_creates_is_not_captured_and_is_named_as_created()
    {
        var change = await CapturedChanges.RunAsync(_database, "CREATE TABLE fresh (id int); INSERT INTO fresh VALUES (1); DELETE FROM customers WHERE id = 10", "fresh", "customers");

        Assert.Equal(["customers"], change.Tables.Select(t => t.Name));
        Assert.Equal(["public.fresh"], change.CreatedByChange);
    }

    [Fact]
    public async Task BeginAsync_table_without_primary_key_is_keyed_by_all_its_columns_and_counts_duplicates()
    {
        var change = await CapturedChanges.RunAsync(_database, "DELETE FROM notes WHERE body = 'a'", "notes");

        var notes = change.Table("notes");
        Assert.False(notes.HasPrimaryKey);
        Assert.Equal(["body", "at"], notes.KeyColumns);
        Assert.Equal(2, notes.Deleted);
    }

    [Fact]
    public async Task CaptureTruncateAsync_keeps_the_rows_a_truncate_removes_as_deletes()
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        await Backstop.Core.Capture.CaptureSchema.EnsureAsync(connection, null, CancellationToken.None);
        await using var transaction = await connection.BeginTransactionAsync();
        var (changeId, _, capture) = await CapturedChanges.BeginAsync(connection, "orders");
        await using (var oid = new NpgsqlCommand("SELECT 'orders'::regclass::oid", connection))
        {
            var orders = (uint)(await oid.ExecuteScalarAsync())!;
            await capture.CaptureTruncateAsync(changeId, new Dictionary<uint, TableSize> { [orders] = new(100, false, "public", "orders", HasPrimaryKey: true) }, CancellationToken.None);
        }

        await using (var truncate = new NpgsqlCommand("TRUNCATE orders", connection))
        {
            await truncate.ExecuteNonQueryAsync();
        }

        var captured = await capture.EndAsync(changeId, CancellationToken.None);
        await transaction.CommitAsync();

        Assert.Equal(100, Assert.Single(captured).Deleted);
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_database, "SELECT count(*) FROM orders"));
    }

    private static (long Inserted, long Updated, long Deleted) Counts(CapturedChange change, string table)
    {
        var captured = change.Table(table);
        return (captured.Inserted, captured.Updated, captured.Deleted);
    }
}
