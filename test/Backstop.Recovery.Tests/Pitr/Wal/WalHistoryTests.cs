using Backstop.Recovery.Pitr;
using Backstop.Recovery.Pitr.Wal;
using Backstop.Testing;
using Npgsql;
using NpgsqlTypes;

namespace Backstop.Recovery.Tests.Pitr.Wal;

/// <summary>WalHistory on a real primary with archiving: the WAL read from the archive and pg_wal, decoded by pg_waldump.</summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class WalHistoryTests(PitrPrimary primary) : IClassFixture<PitrPrimary>
{
    [Fact]
    public async Task WritersAsync_finds_a_known_transaction_with_its_records_and_commit_while_another_connection_writes()
    {
        await PostgresSandbox.ExecuteAsync(primary.AppConnectionString, """
            CREATE TABLE ledger (id int PRIMARY KEY, v int NOT NULL);
            CREATE TABLE noise (id serial PRIMARY KEY, v int NOT NULL);
            INSERT INTO ledger SELECT g, 0 FROM generate_series(1, 100) g;
            """);
        using var stop = new CancellationTokenSource();
        var background = WriteAsync(stop.Token);
        await Task.Delay(TimeSpan.FromMilliseconds(500));

        await using var connection = new NpgsqlConnection(primary.AppConnectionString);
        await connection.OpenAsync();
        var ledger = (await RelFileLocator.ReadAsync(connection, "ledger", CancellationToken.None))!.Value;
        var from = await ScalarAsync<DateTimeOffset>(connection, "SELECT clock_timestamp()");

        // 50 inserts, 10 updates, and in a savepoint 5 deletes: 65 records on ledger.
        uint known;
        NpgsqlLogSequenceNumber beforeCommit, afterCommit;
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            known = (uint)await ScalarAsync<long>(connection, "SELECT pg_current_xact_id()::text::bigint");
            await ExecuteAsync(connection, "INSERT INTO ledger SELECT g, 1 FROM generate_series(1001, 1050) g");
            await ExecuteAsync(connection, "UPDATE ledger SET v = 2 WHERE id BETWEEN 1001 AND 1010");
            await ExecuteAsync(connection, "SAVEPOINT s; DELETE FROM ledger WHERE id BETWEEN 1041 AND 1045; RELEASE s");
            beforeCommit = await ScalarAsync<NpgsqlLogSequenceNumber>(connection, "SELECT pg_current_wal_insert_lsn()");
            await transaction.CommitAsync();
        }

        afterCommit = await ScalarAsync<NpgsqlLogSequenceNumber>(connection, "SELECT pg_current_wal_insert_lsn()");
        var switched = await ScalarAsync<string>(connection, "SELECT pg_walfile_name(pg_switch_wal())");
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        stop.Cancel();
        var otherWrites = await background;
        var to = await ScalarAsync<DateTimeOffset>(connection, "SELECT clock_timestamp()");
        await WaitForArchiveAsync(connection, switched);

        var progress = new List<string>();
        var history = await WalHistory.OpenAsync(await primary.StanzaAsync(), connection, new Recorded(progress), CancellationToken.None);
        var writers = await history.WritersAsync([ledger], from, to, CancellationToken.None);

        var found = Assert.Single(writers, w => w.TransactionId == known);
        Assert.Equal(65, found.Records);
        Assert.True(found.Committed);
        Assert.Single(found.Subtransactions);
        Assert.InRange((ulong)found.CommitLsn, (ulong)beforeCommit, (ulong)afterCommit);
        Assert.True(found.FirstLsn < found.LastLsn && found.LastLsn < found.CommitLsn);
        Assert.InRange(found.CommitTime, from, to);

        // The other connection's updates of ledger are writers of their own, one record each; its inserts into noise are not.
        Assert.True(otherWrites > 0);
        var others = writers.Where(w => w.TransactionId != known).ToList();
        Assert.NotEmpty(others);
        Assert.All(others, w => Assert.Equal(1, w.Records));
        Assert.Contains(progress, p => p.EndsWith("from the archive", StringComparison.Ordinal));
        Assert.NotNull(history.Searched);
        Assert.True(history.Searched!.From <= found.FirstLsn);
    }

    [Fact]
    public async Task FindDropDatabaseAsync_finds_the_drop_and_the_location_just_before_it_began()
    {
        var maintenance = primary.Cluster.ConnectionString("postgres");
        await PostgresSandbox.ExecuteAsync(maintenance, "CREATE DATABASE doomed");
        var oid = (uint)await PostgresSandbox.ScalarAsync(maintenance, "SELECT oid::bigint FROM pg_database WHERE datname = 'doomed'");
        await PostgresSandbox.ExecuteAsync(primary.Cluster.ConnectionString("doomed"), "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 1000)");
        var lastWrite = await PostgresSandbox.TextAsync(primary.Cluster.ConnectionString("doomed"), "SELECT pg_current_wal_insert_lsn()::text");
        NpgsqlConnection.ClearAllPools();
        var beforeDrop = await PostgresSandbox.TextAsync(maintenance, "SELECT pg_current_wal_insert_lsn()::text");
        await PostgresSandbox.ExecuteAsync(maintenance, "DROP DATABASE doomed");

        await using var connection = new NpgsqlConnection(maintenance);
        await connection.OpenAsync();
        var history = await WalHistory.OpenAsync(await primary.StanzaAsync(), connection, null, CancellationToken.None);
        var drop = await history.FindDropDatabaseAsync(oid, null, CancellationToken.None);

        Assert.NotNull(drop);
        Assert.Equal(oid, drop.DatabaseOid);
        Assert.NotNull(drop.CommitLsn);
        Assert.NotNull(drop.MarkedInvalidLsn);
        Assert.Equal(drop.MarkedInvalidLsn, drop.RecoveryLsn);
        Assert.True(drop.RecoveryLsn >= NpgsqlLogSequenceNumber.Parse(beforeDrop!) && drop.RecoveryLsn < drop.DropLsn && drop.DropLsn < drop.CommitLsn);
        Assert.True(drop.LastCommitLsn <= NpgsqlLogSequenceNumber.Parse(lastWrite!) && drop.LastCommitLsn < drop.RecoveryLsn, $"last commit {drop.LastCommitLsn}, last write read at {lastWrite}");

        Assert.Null(await history.FindDropDatabaseAsync(oid + 100_000, DateTimeOffset.UtcNow.AddMinutes(-1), CancellationToken.None));
        Assert.StartsWith("WAL from ", history.Searched!.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Another application: inserts into noise and updates ledger rows 1–100, one statement per transaction.</summary>
    private async Task<int> WriteAsync(CancellationToken stop)
    {
        await using var connection = new NpgsqlConnection(primary.AppConnectionString);
        await connection.OpenAsync(CancellationToken.None);
        var writes = 0;
        while (!stop.IsCancellationRequested)
        {
            await ExecuteAsync(connection, "INSERT INTO noise (v) VALUES (1)");
            await ExecuteAsync(connection, $"UPDATE ledger SET v = v + 1 WHERE id = {(writes % 100) + 1}");
            writes++;
            await Task.Delay(TimeSpan.FromMilliseconds(20), CancellationToken.None);
        }

        return writes;
    }

    private static async Task WaitForArchiveAsync(NpgsqlConnection connection, string segment)
    {
        for (var i = 0; i < 100 && await ScalarAsync<long>(connection, $"SELECT count(*) FROM pg_stat_archiver WHERE last_archived_wal >= '{segment}'") == 0; i++)
        {
            await Task.Delay(100);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return reader.GetFieldValue<T>(0);
    }

    private sealed class Recorded(List<string> lines) : IProgress<string>
    {
        public void Report(string value)
        {
            lock (lines)
            {
                lines.Add(value);
            }
        }
    }
}
