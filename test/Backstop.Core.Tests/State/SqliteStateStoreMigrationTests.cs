using System.Security.Cryptography;
using System.Text;
using Backstop.Core.Configuration;
using Backstop.Core.State;
using Microsoft.Data.Sqlite;

namespace Backstop.Core.Tests.State;

/// <summary>State files written by earlier versions keep their data; one written by a newer version is refused.</summary>
[Trait("Area", "State")]
public sealed class SqliteStateStoreMigrationTests : IDisposable
{
    /// <summary>The <c>changes</c> table as versions before the schema version wrote it: the whole script in each row.</summary>
    private const string VersionZero = """
        CREATE TABLE changes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            environment TEXT NOT NULL,
            system_identifier TEXT NOT NULL,
            database TEXT NOT NULL,
            host TEXT NOT NULL,
            port INTEGER NOT NULL,
            script TEXT NOT NULL,
            script_sha256 TEXT NOT NULL,
            verdict TEXT NOT NULL,
            reasons TEXT NOT NULL,
            impact TEXT NOT NULL,
            os_user TEXT NOT NULL,
            started_at TEXT NOT NULL,
            duration_ms INTEGER,
            outcome TEXT NOT NULL,
            message TEXT,
            change_uuid TEXT,
            undo_of INTEGER
        );
        CREATE INDEX changes_environment ON changes (environment, id);
        CREATE TABLE backups (id TEXT PRIMARY KEY);
        INSERT INTO backups VALUES ('b1');
        """;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"backstop-state-{Guid.NewGuid():N}");

    public SqliteStateStoreMigrationTests() => Directory.CreateDirectory(_directory);

    private string DatabasePath => Path.Combine(_directory, "state.db");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task OpenAsync_file_of_version_0_moves_scripts_into_their_table_and_keeps_every_change()
    {
        const string shared = "DELETE FROM orders WHERE id = 1";
        var large = "UPDATE orders SET note = 'Zoë' WHERE id = 2;\n-- " + new string('y', 100_000);
        await ExecuteAsync(VersionZero);
        await InsertVersionZeroAsync(shared, "Committed", Guid.CreateVersion7());
        await InsertVersionZeroAsync(shared, "Denied", null);
        await InsertVersionZeroAsync(large, "Committed", null);

        var store = await SqliteStateStore.OpenAsync(DatabasePath, CancellationToken.None);
        var listed = await store.ListAsync(null, 10, CancellationToken.None);
        var whole = new StringWriter();
        await store.CopyScriptAsync(3, whole, CancellationToken.None);

        Assert.Equal([3L, 2L, 1L], listed.Select(c => c.Id));
        Assert.Equal(["Committed", "Denied", "Committed"], listed.Select(c => c.Outcome.ToString()));
        Assert.Equal(shared, (await store.GetAsync(1, CancellationToken.None))!.Script);
        Assert.Equal(shared, (await store.GetAsync(2, CancellationToken.None))!.Script);
        Assert.Equal(large, whole.ToString());
        Assert.Equal(Encoding.UTF8.GetByteCount(large), (await store.GetAsync(3, CancellationToken.None))!.ScriptBytes);
        Assert.Equal((long)StateSchema.Version, await ScalarAsync("PRAGMA user_version"));
        Assert.Equal(2L, await ScalarAsync("SELECT count(*) FROM scripts"));
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM pragma_table_info('changes') WHERE name = 'script'"));
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM backups"));
    }

    [Fact]
    public async Task OpenAsync_file_of_the_first_version_without_uuid_or_undo_columns_is_migrated_too()
    {
        await ExecuteAsync(VersionZero.Replace(",\n    change_uuid TEXT,\n    undo_of INTEGER", "", StringComparison.Ordinal));
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM pragma_table_info('changes') WHERE name = 'change_uuid'"));
        await ExecuteAsync(
            "INSERT INTO changes (environment, system_identifier, database, host, port, script, script_sha256, verdict, reasons, impact, os_user, started_at, outcome) " +
            $"VALUES ('prod', '1', 'shop', 'db', 5432, 'SELECT 1', '{Sha256("SELECT 1")}', 'Allow', '[]', '[]', 'alice', '2025-01-15T13:45:12.0000000+00:00', 'Committed')");

        var store = await SqliteStateStore.OpenAsync(DatabasePath, CancellationToken.None);
        var change = await store.GetAsync(1, CancellationToken.None);

        Assert.NotNull(change);
        Assert.Equal("SELECT 1", change.Script);
        Assert.Equal(Guid.Empty, change.ChangeUuid);
        Assert.Equal((long)StateSchema.Version, await ScalarAsync("PRAGMA user_version"));
    }

    [Fact]
    public async Task OpenAsync_migrated_file_opens_again_without_change()
    {
        await ExecuteAsync(VersionZero);
        await InsertVersionZeroAsync("SELECT 1", "Committed", null);
        await SqliteStateStore.OpenAsync(DatabasePath, CancellationToken.None);

        var store = await SqliteStateStore.OpenAsync(DatabasePath, CancellationToken.None);

        Assert.Equal("SELECT 1", (await store.GetAsync(1, CancellationToken.None))!.Script);
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM scripts"));
    }

    [Fact]
    public async Task OpenAsync_file_of_a_newer_version_is_refused_and_left_as_it_is()
    {
        await SqliteStateStore.OpenAsync(DatabasePath, CancellationToken.None);
        var newer = StateSchema.Version + 1;
        await ExecuteAsync($"PRAGMA user_version = {newer}");

        var error = await Assert.ThrowsAsync<ConfigException>(() => SqliteStateStore.OpenAsync(DatabasePath, CancellationToken.None));

        Assert.Equal(
            $"the state file {DatabasePath} was written by a newer Backstop (its schema version is {newer}; this Backstop knows versions up to {StateSchema.Version}); " +
            "nothing was read or changed. Upgrade Backstop to use it, or move the file away to start a new record",
            error.Message);
        Assert.Equal((long)newer, await ScalarAsync("PRAGMA user_version"));
    }

    private static string Sha256(string script) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(script)));

    private async Task InsertVersionZeroAsync(string script, string outcome, Guid? uuid)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=false");
        await connection.OpenAsync();
        await using var command = new SqliteCommand(
            """
            INSERT INTO changes (environment, system_identifier, database, host, port, script, script_sha256, verdict, reasons, impact, os_user, started_at, outcome, change_uuid)
            VALUES ('prod', '7301234567890123456', 'shop', 'db.example.com', 5432, $script, $sha, 'Confirm', '["a write"]', '[]', 'alice', '2025-01-15T13:45:12.0000000+01:00', $outcome, $uuid)
            """, connection);
        command.Parameters.AddWithValue("$script", script);
        command.Parameters.AddWithValue("$sha", Sha256(script));
        command.Parameters.AddWithValue("$outcome", outcome);
        command.Parameters.AddWithValue("$uuid", (object?)uuid?.ToString() ?? DBNull.Value);
        await command.ExecuteNonQueryAsync();
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=false");
        await connection.OpenAsync();
        await using var command = new SqliteCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=false");
        await connection.OpenAsync();
        await using var command = new SqliteCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
