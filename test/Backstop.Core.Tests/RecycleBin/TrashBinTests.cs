using Backstop.Core.Preview;
using Backstop.Core.RecycleBin;
using Backstop.Core.Tests.Capture;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Core.Tests.RecycleBin;

/// <summary>
/// The recycle bin: a DROP TABLE moves the table aside whole instead of dropping it, and a restore puts it back under its
/// name with the foreign keys that pointed at it; what PostgreSQL would refuse is left for PostgreSQL to refuse.
/// </summary>
public sealed class TrashBinTests : IAsyncLifetime
{
    private const string Schema = """
        CREATE TABLE customers (id int PRIMARY KEY, email text UNIQUE, CHECK (id > 0));
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers);
        INSERT INTO customers SELECT g, 'c' || g || '@example.com' FROM generate_series(1, 10) g;
        INSERT INTO orders SELECT g, 1 + g % 10 FROM generate_series(1, 40) g;
        """;

    private string _database = "";

    public async Task InitializeAsync()
    {
        _database = await PostgresSandbox.CreateDatabaseAsync("trash");
        await PostgresSandbox.ExecuteAsync(_database, Schema);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task TryMoveAsync_then_RestoreAsync_brings_the_table_back_with_its_rows_indexes_and_the_foreign_keys_into_it()
    {
        var customers = (uint)await PostgresSandbox.ScalarAsync(_database, "SELECT 'customers'::regclass::oid");
        var (moved, changeId) = await CapturedChanges.DropAsync(
            _database, "DROP TABLE customers CASCADE", new Dictionary<uint, TableSize> { [customers] = new(10, false, "public", "customers", HasPrimaryKey: true) });

        Assert.True(moved);
        Assert.Null(await PostgresSandbox.TextAsync(_database, "SELECT to_regclass('public.customers')::text"));
        Assert.Equal(0, await ForeignKeysOfOrdersAsync());
        var item = Assert.Single(await ListAsync());
        Assert.Equal((changeId, "public", "customers", 10L, false), (item.ChangeId, item.OriginalSchema, item.OriginalName, item.RowEstimate, item.RowsEstimated));

        Assert.Empty(await RestoreAsync(item.TrashId));

        Assert.Equal(10, await PostgresSandbox.ScalarAsync(_database, "SELECT count(*) FROM customers"));
        Assert.Equal(3, await PostgresSandbox.ScalarAsync(_database, "SELECT count(*) FROM pg_constraint WHERE conrelid = 'customers'::regclass"));
        Assert.Equal(1, await ForeignKeysOfOrdersAsync());
        Assert.Empty(await ListAsync());
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_database, $"SELECT count(*) FROM pg_namespace WHERE nspname = '{item.TrashName}'"));
    }

    [Fact]
    public async Task TryMoveAsync_table_with_dependents_and_no_cascade_is_left_for_postgresql_to_refuse()
    {
        var (moved, _) = await CapturedChanges.DropAsync(_database, "DROP TABLE customers");

        Assert.False(moved);
        Assert.Equal(10, await PostgresSandbox.ScalarAsync(_database, "SELECT count(*) FROM customers"));
        Assert.Empty(await ListAsync());
    }

    [Fact]
    public async Task TryMoveAsync_missing_table_is_left_for_postgresql_to_refuse_unless_if_exists()
    {
        Assert.False((await CapturedChanges.DropAsync(_database, "DROP TABLE missing")).Moved);
        Assert.True((await CapturedChanges.DropAsync(_database, "DROP TABLE IF EXISTS missing")).Moved);
        Assert.Empty(await ListAsync());
    }

    [Fact]
    public async Task TryMoveAsync_partitioned_table_is_refused_and_nothing_is_dropped()
    {
        await PostgresSandbox.ExecuteAsync(_database, "CREATE TABLE events (at date NOT NULL) PARTITION BY RANGE (at)");

        var error = await Assert.ThrowsAsync<RecycleBinException>(() => CapturedChanges.DropAsync(_database, "DROP TABLE events"));

        Assert.StartsWith("public.events is not a plain table (relkind p); the recycle bin keeps plain tables only, so nothing was dropped", error.Message, StringComparison.Ordinal);
        Assert.NotNull(await PostgresSandbox.TextAsync(_database, "SELECT to_regclass('public.events')::text"));
    }

    [Fact]
    public async Task TryMoveAsync_same_name_dropped_twice_keeps_both()
    {
        await CapturedChanges.DropAsync(_database, "DROP TABLE orders");
        await PostgresSandbox.ExecuteAsync(_database, "CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders VALUES (1)");
        await CapturedChanges.DropAsync(_database, "DROP TABLE orders");

        var items = await ListAsync();

        Assert.Equal(2, items.Count);
        Assert.All(items, i => Assert.Equal("orders", i.OriginalName));
        Assert.NotEqual(items[0].TrashName, items[1].TrashName);
    }

    [Fact]
    public async Task RestoreAsync_rows_written_meanwhile_that_break_a_foreign_key_restore_it_not_valid_with_a_warning()
    {
        await CapturedChanges.DropAsync(_database, "DROP TABLE customers CASCADE");
        await PostgresSandbox.ExecuteAsync(_database, "INSERT INTO orders VALUES (1000, 999)");
        var item = Assert.Single(await ListAsync());

        var warning = Assert.Single(await RestoreAsync(item.TrashId));

        Assert.StartsWith("public.orders has rows written while public.customers was in the bin that break orders_customer_id_fkey; it was restored NOT VALID", warning, StringComparison.Ordinal);
        Assert.Equal("f", await PostgresSandbox.TextAsync(_database, "SELECT convalidated::text::char FROM pg_constraint WHERE conname = 'orders_customer_id_fkey'"));
        Assert.Equal(10, await PostgresSandbox.ScalarAsync(_database, "SELECT count(*) FROM customers"));
    }

    [Fact]
    public async Task RestoreAsync_name_taken_since_is_refused_and_the_item_stays_in_the_bin()
    {
        await CapturedChanges.DropAsync(_database, "DROP TABLE orders");
        await PostgresSandbox.ExecuteAsync(_database, "CREATE TABLE orders (other int)");
        var item = Assert.Single(await ListAsync());

        var error = await Assert.ThrowsAsync<RecycleBinException>(() => RestoreAsync(item.TrashId));

        Assert.Equal("the name public.orders is taken by another table; rename or drop that table first, then restore again", error.Message);
        Assert.Single(await ListAsync());
    }

    [Fact]
    public async Task RestoreAsync_unknown_item_says_how_to_list_them()
    {
        await CapturedChanges.DropAsync(_database, "DROP TABLE orders");

        var error = await Assert.ThrowsAsync<RecycleBinException>(() => RestoreAsync("0123456789abcdef"));

        Assert.Equal("there is no item '0123456789abcdef' in the recycle bin; list them with `backstop trash list`", error.Message);
    }

    private async Task<IReadOnlyList<TrashItem>> ListAsync()
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        return await TrashBin.ListAsync(connection, CancellationToken.None);
    }

    private async Task<IReadOnlyList<string>> RestoreAsync(string trashId)
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        return await TrashBin.RestoreAsync(connection, trashId, CancellationToken.None);
    }

    private Task<long> ForeignKeysOfOrdersAsync() =>
        PostgresSandbox.ScalarAsync(_database, "SELECT count(*) FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype = 'f'");
}
