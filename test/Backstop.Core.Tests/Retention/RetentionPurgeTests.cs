using Backstop.Core.RecycleBin;
using Backstop.Core.Retention;
using Backstop.Core.Tests.Capture;
using Backstop.Core.Undo;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Core.Tests.Retention;

/// <summary>
/// Retention: before-images and recycle-bin tables older than the retention are dropped for good (and the changes they
/// belonged to can no longer be undone); newer ones are kept whole.
/// </summary>
public sealed class RetentionPurgeTests : IAsyncLifetime
{
    private const string Schema = """
        CREATE TABLE customers (id int PRIMARY KEY);
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers);
        CREATE TABLE archive (id int PRIMARY KEY);
        INSERT INTO customers SELECT generate_series(1, 10);
        INSERT INTO orders SELECT g, 1 + g % 10 FROM generate_series(1, 40) g;
        INSERT INTO archive SELECT generate_series(1, 1000);
        """;

    private static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    private string _database = "";

    public async Task InitializeAsync()
    {
        _database = await PostgresSandbox.CreateDatabaseAsync("retention");
        await PostgresSandbox.ExecuteAsync(_database, Schema);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task PurgeAsync_drops_the_images_of_changes_older_than_the_retention_and_they_can_no_longer_be_undone()
    {
        var old = await CapturedChanges.RunAsync(_database, "DELETE FROM orders WHERE id <= 5", "orders");
        var recent = await CapturedChanges.RunAsync(_database, "DELETE FROM orders WHERE id BETWEEN 6 AND 10", "orders");
        await AgeAsync("backstop.changes", "committed_at", $"change_id = '{old.ChangeId}'");

        var result = await PurgeAsync();

        Assert.Equal((1, 1, 0), (result.Changes, result.ImageTables, result.TrashTables));
        Assert.True(result.Bytes > 0);
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_database, $"SELECT count(*) FROM pg_class WHERE relname = '{old.Table("orders").ImageTable}'"));
        var error = await Assert.ThrowsAsync<UndoUnavailableException>(() => PlanAsync(old));
        Assert.Contains("its before-images were purged", error.Message, StringComparison.Ordinal);

        await CapturedChanges.UndoAsync(_database, recent);
        Assert.Equal(35, await PostgresSandbox.ScalarAsync(_database, "SELECT count(*) FROM orders"));
    }

    [Fact]
    public async Task PurgeAsync_drops_binned_tables_older_than_the_retention_and_keeps_newer_ones()
    {
        await CapturedChanges.DropAsync(_database, "DROP TABLE archive");
        await CapturedChanges.DropAsync(_database, "DROP TABLE orders");
        var archive = (await ListAsync()).Single(i => i.OriginalName == "archive");
        await AgeAsync("backstop.trash", "dropped_at", $"trash_id = '{archive.TrashId}'");

        var result = await PurgeAsync();

        Assert.Equal(1, result.TrashTables);
        Assert.True(result.Bytes >= 8192);
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_database, $"SELECT count(*) FROM pg_namespace WHERE nspname = '{archive.TrashName}'"));
        Assert.Equal("orders", Assert.Single(await ListAsync()).OriginalName);
    }

    [Fact]
    public async Task PurgeAsync_binned_tables_that_reference_each_other_are_dropped_together()
    {
        await CapturedChanges.DropAsync(_database, "DROP TABLE customers, orders");
        await AgeAsync("backstop.trash", "dropped_at", "true");

        var result = await PurgeAsync();

        Assert.Equal(2, result.TrashTables);
        Assert.Empty(await ListAsync());
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(_database, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'backstop\\_trash\\_%'"));
    }

    [Fact]
    public async Task PurgeAsync_keeps_an_old_change_whose_dropped_table_is_still_in_the_bin()
    {
        var (_, changeId) = await CapturedChanges.DropAsync(_database, "DROP TABLE archive");
        await AgeAsync("backstop.changes", "committed_at", $"change_id = '{changeId}'");

        var result = await PurgeAsync();

        Assert.Equal((0, 0), (result.Changes, result.TrashTables));
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(_database, $"SELECT count(*) FROM backstop.changes WHERE change_id = '{changeId}'"));
    }

    [Fact]
    public async Task PurgeAsync_database_backstop_never_wrote_to_is_left_as_it_is()
    {
        var result = await PurgeAsync();

        Assert.Equal(new RetentionPurge.Result(0, 0, 0, 0), result);
        Assert.Null(await PostgresSandbox.TextAsync(_database, "SELECT to_regnamespace('backstop')::text"));
    }

    private async Task<RetentionPurge.Result> PurgeAsync()
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        return await RetentionPurge.PurgeAsync(connection, Retention, CancellationToken.None);
    }

    private async Task<UndoPlan> PlanAsync(CapturedChange change)
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        return await UndoPlanner.PlanAsync(connection, change.ChangeId, change.LocalId, CancellationToken.None);
    }

    private async Task<IReadOnlyList<TrashItem>> ListAsync()
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        return await TrashBin.ListAsync(connection, CancellationToken.None);
    }

    /// <summary>Sets a row's time 31 days back, as if it were written then.</summary>
    private Task AgeAsync(string table, string column, string where) =>
        PostgresSandbox.ExecuteAsync(_database, $"UPDATE {table} SET {column} = {column} - interval '31 days' WHERE {where}");
}
