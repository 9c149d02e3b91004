using Backstop.Core.Capture;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Core.Tests.Capture;

/// <summary>The first changes on a database create the backstop schema once, however many begin at the same moment.</summary>
[Trait("Area", "State")]
public sealed class CaptureSchemaTests
{
    [Fact]
    public async Task EnsureAsync_from_six_connections_at_once_creates_the_schema_once_without_a_note()
    {
        var database = await PostgresSandbox.CreateDatabaseAsync("capture");
        var notices = new List<string>();

        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            await using var connection = new NpgsqlConnection(database);
            await connection.OpenAsync();
            await CaptureSchema.EnsureAsync(connection, note => { lock (notices) { notices.Add(note); } }, CancellationToken.None);
        })));

        Assert.Empty(notices);
        Assert.Equal(CaptureSchema.Version, await PostgresSandbox.ScalarAsync(database, "SELECT max(version) FROM backstop.schema_version"));
        Assert.Equal(CaptureSchema.Migrations.Count, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM backstop.schema_version"));
    }

    [Fact]
    public async Task HoldAsync_keeps_a_migration_waiting_until_the_change_that_holds_it_ends()
    {
        var database = await PostgresSandbox.CreateDatabaseAsync("capture");
        await using var change = new NpgsqlConnection(database);
        await change.OpenAsync();
        await CaptureSchema.EnsureAsync(change, null, CancellationToken.None);
        await using var transaction = await change.BeginTransactionAsync();
        await CaptureSchema.HoldAsync(change, CancellationToken.None);

        // As if the schema were of an older version, for another process to migrate while the change runs.
        await PostgresSandbox.ExecuteAsync(database, "DELETE FROM backstop.schema_version");
        await using var other = new NpgsqlConnection(database);
        await other.OpenAsync();
        var migration = CaptureSchema.EnsureAsync(other, null, CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1));
        var waited = !migration.IsCompleted;
        await transaction.CommitAsync();
        await migration;

        Assert.True(waited, "the migration did not wait for the change's transaction to end");
        Assert.Equal(CaptureSchema.Migrations.Count, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM backstop.schema_version"));
    }
}
