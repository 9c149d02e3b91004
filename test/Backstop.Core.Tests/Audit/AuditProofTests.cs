using System.Text.Json.Nodes;
using Backstop.Core.Audit;
using Backstop.Core.Tests.State;

namespace Backstop.Core.Tests.Audit;

/// <summary>A proof of inclusion, checked with nothing but its JSON and the public key.</summary>
[Trait("Area", "Audit")]
public sealed class AuditProofTests
{
    [Fact]
    public async Task Verify_proof_of_each_entry_of_a_log_of_23_holds_with_the_signing_public_key()
    {
        using var test = await AuditTestLog.CreateAsync(TestStores.Sqlite);
        await test.Log.AppendAllAsync(Enumerable.Range(1, 23).Select(AuditTestLog.Record).ToList(), CancellationToken.None);
        using var key = test.Key();

        for (var seq = 1; seq <= 23; seq++)
        {
            var proof = await AuditProver.CreateAsync(test.Log, seq, key, CancellationToken.None);

            var check = AuditProof.Verify(proof.ToJson(), key.PublicKeyPem);

            Assert.True(check.Valid, check.Message);
            Assert.StartsWith($"entry {seq} is in the audit log of 23 entries signed at ", check.Message, StringComparison.Ordinal);
        }

        Assert.Single(await test.Log.CheckpointsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Verify_proof_with_the_entry_text_changed_fails()
    {
        var (json, key) = await ProofOfEntry5Async();
        var proof = JsonNode.Parse(json)!;
        proof["entry"] = proof["entry"]!.GetValue<string>().Replace("\"actor\":\"alice\"", "\"actor\":\"bob\"", StringComparison.Ordinal);

        var check = AuditProof.Verify(proof.ToJsonString(), key);

        Assert.False(check.Valid);
        Assert.Equal("entry 5 is not proven: its audit path does not lead from the entry to the signed root of 12 entries (the entry or the path was altered)", check.Message);
    }

    [Fact]
    public async Task Verify_proof_with_an_audit_path_element_changed_fails()
    {
        var (json, key) = await ProofOfEntry5Async();
        var proof = JsonNode.Parse(json)!;
        var element = proof["auditPath"]![1]!.GetValue<string>();
        proof["auditPath"]![1] = (element[0] == '0' ? "1" : "0") + element[1..];

        var check = AuditProof.Verify(proof.ToJsonString(), key);

        Assert.False(check.Valid);
        Assert.StartsWith("entry 5 is not proven", check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_proof_against_another_key_fails_naming_both_keys()
    {
        var (json, _) = await ProofOfEntry5Async();
        using var other = AuditSigningKey.LoadOrCreate(Path.Combine(Path.GetTempPath(), "backstop-other-" + Guid.NewGuid().ToString("N")[..8], "k.pem"));
        var signedBy = JsonNode.Parse(json)!["checkpoint"]!["keyId"]!.GetValue<string>();

        var check = AuditProof.Verify(json, other.PublicKeyPem);

        Assert.False(check.Valid);
        Assert.Equal($"the checkpoint was signed by key {signedBy}, not by the given key {other.KeyId}", check.Message);
    }

    [Fact]
    public async Task Verify_proof_with_a_forged_checkpoint_root_fails_on_the_signature()
    {
        var (json, key) = await ProofOfEntry5Async();
        var proof = JsonNode.Parse(json)!;
        proof["checkpoint"]!["rootHash"] = new string('0', 64);

        var check = AuditProof.Verify(proof.ToJsonString(), key);

        Assert.False(check.Valid);
        Assert.StartsWith("the checkpoint's signature does not verify with the given key", check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_text_that_is_no_proof_fails_saying_so()
    {
        using var key = AuditSigningKey.LoadOrCreate(Path.Combine(Path.GetTempPath(), "backstop-proof-" + Guid.NewGuid().ToString("N")[..8], "k.pem"));

        var check = AuditProof.Verify("{\"format\":\"something else\"}", key.PublicKeyPem);

        Assert.False(check.Valid);
        Assert.StartsWith("not a Backstop audit proof: ", check.Message, StringComparison.Ordinal);
    }

    /// <summary>The proof JSON of entry 5 of a log of 12, and the public key that signed its checkpoint.</summary>
    private static async Task<(string Json, string PublicKey)> ProofOfEntry5Async()
    {
        using var test = await AuditTestLog.CreateAsync(TestStores.Sqlite);
        await test.Log.AppendAllAsync(Enumerable.Range(1, 12).Select(AuditTestLog.Record).ToList(), CancellationToken.None);
        using var key = test.Key();
        var proof = await AuditProver.CreateAsync(test.Log, 5, key, CancellationToken.None);
        Assert.Equal(4, proof.AuditPath.Count);
        return (proof.ToJson(), key.PublicKeyPem);
    }
}
