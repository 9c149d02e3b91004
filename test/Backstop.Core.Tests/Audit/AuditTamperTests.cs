using Backstop.Core.Audit;
using Backstop.Core.Tests.State;

namespace Backstop.Core.Tests.Audit;

/// <summary>
/// An attacker with the owner's role changes the log in the store; the verifier names the first entry touched. Each
/// test: 30 entries, a checkpoint at 10 (before the damage, so it still verifies), the damage at entry 17.
/// </summary>
[Trait("Area", "Audit")]
public sealed class AuditTamperTests
{
    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task VerifyAsync_intact_log_with_checkpoints_verifies_all(string kind)
    {
        using var test = await ArrangeAsync(kind);
        using var key = test.Key();
        await test.Log.CheckpointAsync(key, CancellationToken.None);

        var result = await AuditVerifier.VerifyAsync(test.Log, key.PublicKeyPem, CancellationToken.None);

        Assert.Equal("30 entries, 2 checkpoints verified", result.ToString());
        Assert.True(result.Intact);
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task VerifyAsync_one_entry_payload_altered_names_it_as_altered(string kind)
    {
        using var test = await ArrangeAsync(kind);
        var json = await test.JsonAsync(17);
        await test.TamperAsync("UPDATE audit_entries SET entry = @entry WHERE seq = 17", ("entry", json.Replace("\"outcome\":\"ok\"", "\"outcome\":\"denied\"", StringComparison.Ordinal)));

        var result = await VerifyAsync(test);

        Assert.Equal("entry 17 was altered (its content does not match its hash)", result.Problem);
        Assert.Equal(17, result.ProblemAt);
        Assert.Equal(16, result.Entries);
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task VerifyAsync_one_entry_altered_and_its_hash_recomputed_names_it(string kind)
    {
        using var test = await ArrangeAsync(kind);
        var json = await test.JsonAsync(17);
        await test.RewriteAsync(17, json.Replace("\"actor\":\"alice\"", "\"actor\":\"mallory\"", StringComparison.Ordinal));

        var result = await VerifyAsync(test);

        Assert.Equal("entry 17 was altered, or entries after it removed (entry 18's previous-entry hash does not match it)", result.Problem);
        Assert.Equal(17, result.ProblemAt);
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task VerifyAsync_one_entry_deleted_names_it_as_missing(string kind)
    {
        using var test = await ArrangeAsync(kind);
        await test.TamperAsync("DELETE FROM audit_entries WHERE seq = 17");

        var result = await VerifyAsync(test);

        Assert.Equal("entry 17 is missing (entries jump from 16 to 18)", result.Problem);
        Assert.Equal(17, result.ProblemAt);
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task VerifyAsync_entry_inserted_in_the_middle_with_the_rest_renumbered_and_rehashed_names_it(string kind)
    {
        using var test = await ArrangeAsync(kind);
        var sixteen = AuditEntry.Parse(await test.JsonAsync(16));

        // Make room: entries 17 to 30 become 18 to 31, their numbers rewritten and hashes recomputed, last first.
        for (var seq = 30; seq >= 17; seq--)
        {
            var moved = AuditTestLog.Renumbered(await test.JsonAsync(seq), seq + 1);
            await test.TamperAsync("UPDATE audit_entries SET seq = @new_seq WHERE seq = @seq", ("new_seq", (long)seq + 1), ("seq", (long)seq));
            await test.RewriteAsync(seq + 1, moved);
        }

        // The forged entry 17, chained correctly to entry 16.
        var sixteenHash = Convert.ToHexStringLower((await test.Log.GetAsync(16, CancellationToken.None))!.LeafHash);
        var forged = AuditEntry.Create(17, sixteenHash, sixteen.At, new AuditRecord { Actor = "alice", Action = "approve", Object = "request 9", Outcome = "ok" });
        await test.TamperAsync("INSERT INTO audit_entries (seq, at, actor, entry, leaf_hash) VALUES (17, @at, 'alice', @entry, @leaf_hash)",
            ("at", test.Location.Url is null ? (object)"2026-01-01T00:00:00.000000Z" : sixteen.At.UtcDateTime), ("entry", forged.ToCanonicalJson()), ("leaf_hash", Convert.FromHexString(forged.LeafHash())));

        var result = await VerifyAsync(test);

        Assert.Equal("entry 17 was inserted or reordered (entry 18 follows entry 16, not entry 17)", result.Problem);
        Assert.Equal(17, result.ProblemAt);
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task VerifyAsync_two_entries_swapped_renumbered_and_rehashed_names_the_first(string kind)
    {
        using var test = await ArrangeAsync(kind);
        var seventeen = await test.JsonAsync(17);
        var eighteen = await test.JsonAsync(18);
        await test.RewriteAsync(17, AuditTestLog.Renumbered(eighteen, 17));
        await test.RewriteAsync(18, AuditTestLog.Renumbered(seventeen, 18));

        var result = await VerifyAsync(test);

        Assert.Equal("entry 17 was inserted or reordered (its previous-entry hash does not match entry 16)", result.Problem);
        Assert.Equal(17, result.ProblemAt);
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task VerifyAsync_tail_removed_after_a_checkpoint_names_the_checkpoint(string kind)
    {
        using var test = await ArrangeAsync(kind);
        using var key = test.Key();
        await test.Log.CheckpointAsync(key, CancellationToken.None);
        await test.TamperAsync("DELETE FROM audit_entries WHERE seq > 25");

        var result = await AuditVerifier.VerifyAsync(test.Log, key.PublicKeyPem, CancellationToken.None);

        Assert.Equal("checkpoint at size 30 does not match the log (the log holds only 25 entries: entries after 25 were removed)", result.Problem);
        Assert.Equal(30, result.ProblemAt);
        Assert.Equal(1, result.Checkpoints);
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task VerifyAsync_whole_chain_rewritten_is_caught_by_the_checkpoint(string kind)
    {
        using var test = await ArrangeAsync(kind);
        var previous = Convert.ToHexStringLower((await test.Log.GetAsync(4, CancellationToken.None))!.LeafHash);
        for (var seq = 5; seq <= 30; seq++)
        {
            var entry = AuditEntry.Parse(await test.JsonAsync(seq)) with { Previous = previous };
            entry = seq == 5 ? entry with { Actor = "mallory" } : entry;
            await test.RewriteAsync(seq, entry.ToCanonicalJson());
            previous = entry.LeafHash();
        }

        var result = await VerifyAsync(test);

        Assert.StartsWith("checkpoint at size 10 does not match the log (the root of the first 10 entries is ", result.Problem, StringComparison.Ordinal);
        Assert.Equal(10, result.ProblemAt);
    }

    [Theory]
    [InlineData(TestStores.Sqlite)]
    [InlineData(TestStores.Postgresql)]
    public async Task VerifyAsync_checkpoint_time_altered_or_another_key_says_signature_invalid(string kind)
    {
        using var test = await ArrangeAsync(kind);
        using var key = test.Key();
        using var other = test.Key("other.pem");
        await test.TamperAsync(test.Location.Url is null
            ? "UPDATE audit_checkpoints SET at = '2020-01-01T00:00:00.000000Z' WHERE tree_size = 10"
            : "UPDATE audit_checkpoints SET at = '2020-01-01 00:00:00+00' WHERE tree_size = 10");

        var altered = await AuditVerifier.VerifyAsync(test.Log, key.PublicKeyPem, CancellationToken.None);
        var otherKey = await AuditVerifier.VerifyAsync(test.Log, other.PublicKeyPem, CancellationToken.None);

        Assert.Equal($"checkpoint signature invalid: the checkpoint at size 10 does not verify with key {key.KeyId}", altered.Problem);
        Assert.Equal($"checkpoint signature invalid: the checkpoint at size 10 names key {key.KeyId}, not the given key {other.KeyId}", otherKey.Problem);
    }

    /// <summary>30 entries and a checkpoint of the first 10, signed with <c>key.pem</c>.</summary>
    private static async Task<AuditTestLog> ArrangeAsync(string kind)
    {
        var test = await AuditTestLog.CreateAsync(kind);
        await test.AppendAsync(10);
        using (var key = test.Key())
        {
            await test.Log.CheckpointAsync(key, CancellationToken.None);
        }

        await test.Log.AppendAllAsync(Enumerable.Range(11, 20).Select(AuditTestLog.Record).ToList(), CancellationToken.None);
        return test;
    }

    private static async Task<AuditVerification> VerifyAsync(AuditTestLog test)
    {
        using var key = test.Key();
        return await AuditVerifier.VerifyAsync(test.Log, key.PublicKeyPem, CancellationToken.None);
    }
}
