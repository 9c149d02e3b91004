using Backstop.Core.Audit;
using Backstop.Core.Tests.State;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Backstop.Core.Tests.Audit;

/// <summary>The audit log in both kinds of store: numbering, chaining, listing, checkpoints, and the append-only tables.</summary>
[Trait("Area", "Audit")]
public sealed class AuditLogTests
{
    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task AppendAsync_entries_are_numbered_from_1_and_each_names_the_previous_leaf_hash(string kind)
    {
        using var test = await AuditTestLog.CreateAsync(kind);

        var first = await test.Log.AppendAsync(AuditTestLog.Record(1), CancellationToken.None);
        var more = await test.Log.AppendAllAsync([AuditTestLog.Record(2), AuditTestLog.Record(3)], CancellationToken.None);

        Assert.Equal([1L, 2L, 3L], new[] { first }.Concat(more).Select(e => e.Seq));
        Assert.Equal(AuditEntry.NoPrevious, first.Previous);
        Assert.Equal(first.LeafHash(), more[0].Previous);
        Assert.Equal(more[0].LeafHash(), more[1].Previous);
        var stored = (await test.Log.GetAsync(3, CancellationToken.None))!;
        Assert.Equal(more[1].ToCanonicalJson(), stored.Json);
        Assert.Equal(more[1].LeafHash(), Convert.ToHexStringLower(stored.LeafHash));
        Assert.Equal(TimeSpan.Zero, first.At.Offset);
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task ListAsync_by_actor_since_and_limit_newest_first(string kind)
    {
        using var test = await AuditTestLog.CreateAsync(kind);
        await test.AppendAsync(9);
        var middle = AuditEntry.Parse(await test.JsonAsync(5)).At;

        var carol = await test.Log.ListAsync(null, "carol", 10, CancellationToken.None);
        var lastTwo = await test.Log.ListAsync(null, null, 2, CancellationToken.None);
        var since = await test.Log.ListAsync(middle, null, 100, CancellationToken.None);

        Assert.Equal([9L, 6L, 3L], carol.Select(e => e.Seq));
        Assert.Equal([9L, 8L], lastTwo.Select(e => e.Seq));
        Assert.Equal(5L, since[^1].Seq);
        Assert.Equal(9L, since[0].Seq);
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task CheckpointAsync_signs_the_current_head_once_and_not_again_until_the_log_grows(string kind)
    {
        using var test = await AuditTestLog.CreateAsync(kind);
        using var key = test.Key();
        Assert.Null(await test.Log.CheckpointAsync(key, CancellationToken.None));
        await test.AppendAsync(5);

        var first = await test.Log.CheckpointAsync(key, CancellationToken.None);
        var again = await test.Log.CheckpointAsync(key, CancellationToken.None);
        await test.Log.AppendAsync(AuditTestLog.Record(6), CancellationToken.None);
        var grown = await test.Log.CheckpointAsync(key, CancellationToken.None);

        Assert.Equal(5, first!.TreeSize);
        Assert.Equal(first, again);
        Assert.Equal(6, grown!.TreeSize);
        Assert.Equal([5L, 6L], (await test.Log.CheckpointsAsync(CancellationToken.None)).Select(c => c.TreeSize));
        Assert.Equal(grown, await test.Log.LatestCheckpointAsync(CancellationToken.None));
        var leaves = await test.Log.LeafHashesAsync(5, CancellationToken.None);
        Assert.Equal(first.RootHash, Convert.ToHexStringLower(MerkleTree.Root(leaves, 5)));
        using var publicKey = AuditSigningKey.PublicKeyFromPem(key.PublicKeyPem);
        Assert.True(first.IsSignedBy(publicKey));
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task AppendAsync_from_8_connections_at_once_forms_one_gapless_valid_log(string kind)
    {
        using var test = await AuditTestLog.CreateAsync(kind);
        var logs = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => AuditLogs.OpenAsync(test.Location, null, CancellationToken.None)));

        var appended = await Task.WhenAll(logs.Select((log, w) => Task.Run(async () =>
        {
            var seqs = new List<long>();
            for (var i = 0; i < 25; i++)
            {
                seqs.Add((await log.AppendAsync(AuditTestLog.Record((w * 100) + i), CancellationToken.None)).Seq);
            }

            return seqs;
        })));

        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), appended.SelectMany(s => s).Order());
        var result = await AuditVerifier.VerifyAsync(test.Log, null, CancellationToken.None);
        Assert.Equal("200 entries, 0 checkpoints verified", result.ToString());
    }

    [Theory]
    [InlineData(TestStores.Sqlite, "UPDATE audit_entries SET actor = 'mallory' WHERE seq = 1", "audit_entries is append-only: an audit entry cannot be changed")]
    [InlineData(TestStores.Sqlite, "DELETE FROM audit_entries WHERE seq = 2", "audit_entries is append-only: an audit entry cannot be removed")]
    [InlineData(TestStores.Sqlite, "DELETE FROM audit_entries", "audit_entries is append-only: an audit entry cannot be removed")]
    [InlineData(TestStores.Sqlite, "UPDATE audit_checkpoints SET root_hash = 'x'", "audit_checkpoints is append-only: a checkpoint cannot be changed")]
    [InlineData(TestStores.Sqlite, "DELETE FROM audit_checkpoints", "audit_checkpoints is append-only: a checkpoint cannot be removed")]
    [InlineData(TestStores.Postgresql, "UPDATE audit_entries SET actor = 'mallory' WHERE seq = 1", "audit_entries is append-only: UPDATE is refused")]
    [InlineData(TestStores.Postgresql, "DELETE FROM audit_entries WHERE seq = 2", "audit_entries is append-only: DELETE is refused")]
    [InlineData(TestStores.Postgresql, "TRUNCATE audit_entries", "audit_entries is append-only: TRUNCATE is refused")]
    [InlineData(TestStores.Postgresql, "UPDATE audit_checkpoints SET root_hash = 'x'", "audit_checkpoints is append-only: UPDATE is refused")]
    [InlineData(TestStores.Postgresql, "DELETE FROM audit_checkpoints", "audit_checkpoints is append-only: DELETE is refused")]
    [InlineData(TestStores.Postgresql, "TRUNCATE audit_checkpoints", "audit_checkpoints is append-only: TRUNCATE is refused")]
    public async Task Triggers_update_delete_truncate_of_the_audit_tables_are_refused_and_change_nothing(string kind, string sql, string message)
    {
        using var test = await AuditTestLog.CreateAsync(kind);
        await test.AppendAsync(3);
        using (var key = test.Key())
        {
            await test.Log.CheckpointAsync(key, CancellationToken.None);
        }

        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestStores.ExecuteAsync(test.Location, sql));

        Assert.True(error is SqliteException or PostgresException, error.ToString());
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(3, await TestStores.CountAsync(test.Location, "audit_entries"));
        Assert.Equal("3 entries, 1 checkpoints verified", (await AuditVerifier.VerifyAsync(test.Log, test.Key().PublicKeyPem, CancellationToken.None)).ToString());
    }

    [Fact]
    public async Task Privileges_public_has_no_update_delete_or_truncate_on_the_audit_tables()
    {
        using var test = await AuditTestLog.CreateAsync(TestStores.Postgresql);

        var granted = await TestStores.ExecuteAsync(test.Location, """
            SELECT count(*) FROM information_schema.role_table_grants
            WHERE table_schema = 'backstop_state' AND table_name IN ('audit_entries', 'audit_checkpoints')
              AND grantee = 'PUBLIC' AND privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
            """);

        Assert.Equal(0L, granted);
    }
}
