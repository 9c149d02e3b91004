using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Backstop.Core.Audit;

/// <summary>
/// Proof that one entry is in the log a signed checkpoint covers, checkable with nothing but this JSON and the public
/// key (<see cref="Verify"/>): the entry's canonical JSON, its leaf index (its number − 1), the tree size, the audit
/// path of RFC 6962 §2.1.1 from its leaf to the root, and the checkpoint that signs the root. <see cref="PublicKey"/>
/// says which key signed it; a verifier must bring its own copy of the key, never trust this one.
/// </summary>
public sealed record AuditProof
{
    public const string Format = "backstop-audit-proof v1";

    /// <summary>Only what JSON requires is escaped, so the entry inside reads as it is hashed.</summary>
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    [JsonPropertyName("format")]
    public string FormatName { get; init; } = Format;

    /// <summary>The entry's canonical JSON, exactly the bytes its leaf hash covers.</summary>
    public required string Entry { get; init; }

    public required long LeafIndex { get; init; }

    public required long TreeSize { get; init; }

    /// <summary>The sibling hashes from the leaf up to the root, lower-case hex.</summary>
    public required IReadOnlyList<string> AuditPath { get; init; }

    public required AuditCheckpoint Checkpoint { get; init; }

    /// <summary>The public key that signed the checkpoint (PEM), for reference only.</summary>
    public required string PublicKey { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <exception cref="FormatException">the text is not an audit proof.</exception>
    public static AuditProof FromJson(string json)
    {
        try
        {
            var proof = JsonSerializer.Deserialize<AuditProof>(json, JsonOptions) ?? throw new FormatException("the proof is null");
            return proof.FormatName == Format ? proof : throw new FormatException($"its format is '{proof.FormatName}', not '{Format}'");
        }
        catch (JsonException e)
        {
            throw new FormatException(e.Message, e);
        }
    }

    /// <summary>
    /// Checks a proof offline: the checkpoint is signed by <paramref name="publicKeyPem"/>, and the entry's audit path
    /// leads from its leaf hash to the checkpoint's root (RFC 9162 §2.1.3.2).
    /// </summary>
    /// <exception cref="FormatException"><paramref name="publicKeyPem"/> is not an ECDSA public key.</exception>
    public static AuditProofCheck Verify(string proofJson, string publicKeyPem)
    {
        using var key = AuditSigningKey.PublicKeyFromPem(publicKeyPem);
        AuditProof proof;
        try
        {
            proof = FromJson(proofJson);
        }
        catch (FormatException e)
        {
            return new AuditProofCheck(false, $"not a Backstop audit proof: {e.Message}");
        }

        var checkpoint = proof.Checkpoint;
        var keyId = AuditSigningKey.KeyIdOf(key);
        if (!string.Equals(checkpoint.KeyId, keyId, StringComparison.Ordinal))
        {
            return new AuditProofCheck(false, $"the checkpoint was signed by key {checkpoint.KeyId}, not by the given key {keyId}");
        }

        if (!checkpoint.IsSignedBy(key))
        {
            return new AuditProofCheck(false, $"the checkpoint's signature does not verify with the given key {keyId}: the checkpoint was altered");
        }

        if (proof.TreeSize != checkpoint.TreeSize)
        {
            return new AuditProofCheck(false, $"the proof is for a tree of {proof.TreeSize} entries, but its checkpoint signs {checkpoint.TreeSize}");
        }

        AuditEntry entry;
        try
        {
            entry = AuditEntry.Parse(proof.Entry);
        }
        catch (FormatException e)
        {
            return new AuditProofCheck(false, $"the entry was altered: {e.Message}");
        }

        if (entry.Seq != proof.LeafIndex + 1)
        {
            return new AuditProofCheck(false, $"the entry says it is entry {entry.Seq}, but the proof is for leaf index {proof.LeafIndex} (entry {proof.LeafIndex + 1})");
        }

        byte[] root;
        List<byte[]> path;
        try
        {
            root = Convert.FromHexString(checkpoint.RootHash);
            path = proof.AuditPath.Select(Convert.FromHexString).ToList();
        }
        catch (FormatException)
        {
            return new AuditProofCheck(false, "the audit path or the root is not hexadecimal: the proof was altered");
        }

        var leafHash = MerkleTree.LeafHash(Encoding.UTF8.GetBytes(proof.Entry));
        if (!MerkleTree.VerifyInclusion(leafHash, proof.LeafIndex, proof.TreeSize, path, root))
        {
            return new AuditProofCheck(false,
                $"entry {entry.Seq} is not proven: its audit path does not lead from the entry to the signed root of {checkpoint.TreeSize} entries (the entry or the path was altered)");
        }

        return new AuditProofCheck(true,
            $"entry {entry.Seq} is in the audit log of {checkpoint.TreeSize} entries signed at {AuditTimeJsonConverter.Text(checkpoint.At)} by key {keyId}");
    }
}
