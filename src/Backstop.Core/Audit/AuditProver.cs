using System.Security.Cryptography;

namespace Backstop.Core.Audit;

/// <summary>Builds the <see cref="AuditProof"/> of one entry against the latest checkpoint that covers it.</summary>
public static class AuditProver
{
    /// <summary>
    /// The proof of entry <paramref name="seq"/>; if no checkpoint covers it yet, one is signed with <paramref name="key"/>
    /// first. The leaves are checked against the checkpoint's root before a proof is given.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">there is no entry <paramref name="seq"/>.</exception>
    /// <exception cref="AuditLogDamagedException">the stored log does not match the checkpoint, or the checkpoint is another key's.</exception>
    public static async Task<AuditProof> CreateAsync(IAuditLog log, long seq, AuditSigningKey key, CancellationToken cancellationToken)
    {
        var entry = await log.GetAsync(seq, cancellationToken)
            ?? throw new ArgumentOutOfRangeException(nameof(seq), seq, $"there is no audit entry {seq} in {log.Where}");
        var checkpoint = await log.LatestCheckpointAsync(cancellationToken);
        if (checkpoint is null || checkpoint.TreeSize < seq)
        {
            checkpoint = (await log.CheckpointAsync(key, cancellationToken))!;
        }

        if (!string.Equals(checkpoint.KeyId, key.KeyId, StringComparison.Ordinal))
        {
            throw new AuditLogDamagedException(
                $"the latest audit checkpoint in {log.Where} was signed by key {checkpoint.KeyId}, not by {key.Path} (key {key.KeyId}); give the key that signs this log with --key");
        }

        var leaves = await log.LeafHashesAsync(checkpoint.TreeSize, cancellationToken);
        var root = leaves.Count == checkpoint.TreeSize ? Convert.ToHexStringLower(MerkleTree.Root(leaves, leaves.Count)) : null;
        if (!string.Equals(root, checkpoint.RootHash, StringComparison.Ordinal)
            || !CryptographicOperations.FixedTimeEquals(leaves[(int)seq - 1], entry.LeafHash))
        {
            throw new AuditLogDamagedException(
                $"the audit log in {log.Where} does not match its checkpoint at size {checkpoint.TreeSize}; no proof was made. Run `backstop audit verify` to find what was changed");
        }

        return new AuditProof
        {
            Entry = entry.Json,
            LeafIndex = seq - 1,
            TreeSize = checkpoint.TreeSize,
            AuditPath = MerkleTree.AuditPath(leaves, seq - 1, leaves.Count).Select(Convert.ToHexStringLower).ToList(),
            Checkpoint = checkpoint,
            PublicKey = key.PublicKeyPem,
        };
    }
}
