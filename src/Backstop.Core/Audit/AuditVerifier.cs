using System.Security.Cryptography;
using System.Text;

namespace Backstop.Core.Audit;

/// <summary>
/// Checks a whole audit log against itself and its checkpoints, trusting nothing it reads: each entry's canonical form
/// and leaf hash, the numbers from 1 without gaps, each entry's hash of the one before, and each checkpoint's root
/// (recomputed from the leaves) and signature. Streams the entries once; stops at the first problem and names it.
/// </summary>
public static class AuditVerifier
{
    /// <param name="publicKeyPem">the key the checkpoints must be signed with; null when there is none (then any checkpoint is a problem).</param>
    /// <exception cref="FormatException"><paramref name="publicKeyPem"/> is not an ECDSA public key.</exception>
    public static async Task<AuditVerification> VerifyAsync(IAuditLog log, string? publicKeyPem, CancellationToken cancellationToken)
    {
        using var key = publicKeyPem is null ? null : AuditSigningKey.PublicKeyFromPem(publicKeyPem);

        // Checkpoints before entries: entries are only ever added, so every checkpoint read covers entries read after.
        var checkpoints = await log.CheckpointsAsync(cancellationToken);
        var next = 0;
        var frontier = new MerkleFrontier();
        var previous = new byte[MerkleTree.HashSize];
        byte[]? beforePrevious = null;
        await using var rows = log.ReadAllAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (await rows.MoveNextAsync())
        {
            var row = rows.Current;
            var seq = frontier.Size + 1;
            if (row.Seq != seq)
            {
                return Problem(frontier, next, seq, seq == 1
                    ? $"entry 1 is missing (entries start at {row.Seq})"
                    : $"entry {seq} is missing (entries jump from {seq - 1} to {row.Seq})");
            }

            var leafHash = MerkleTree.LeafHash(Encoding.UTF8.GetBytes(row.Json));
            if (!CryptographicOperations.FixedTimeEquals(leafHash, row.LeafHash))
            {
                return Problem(frontier, next, seq, $"entry {seq} was altered (its content does not match its hash)");
            }

            AuditEntry entry;
            try
            {
                entry = AuditEntry.Parse(row.Json);
            }
            catch (FormatException e)
            {
                return Problem(frontier, next, seq, $"entry {seq} was altered (its content is not an audit entry: {e.Message})");
            }

            if (!string.Equals(entry.ToCanonicalJson(), row.Json, StringComparison.Ordinal))
            {
                return Problem(frontier, next, seq, $"entry {seq} was altered (its content is not in canonical form)");
            }

            if (!string.Equals(entry.Previous, Convert.ToHexStringLower(previous), StringComparison.Ordinal))
            {
                var (at, problem) = await BrokenChainAsync(seq, entry.Previous, previous, beforePrevious, rows);
                return Problem(frontier, next, at, problem);
            }

            if (entry.Seq != seq)
            {
                return Problem(frontier, next, seq, $"entry {seq} was renumbered (its content says it is entry {entry.Seq})");
            }

            frontier.Append(leafHash);
            (beforePrevious, previous) = (previous, leafHash);
            for (; next < checkpoints.Count && checkpoints[next].TreeSize <= frontier.Size; next++)
            {
                if (CheckpointProblem(checkpoints[next], frontier, key) is { } problem)
                {
                    return Problem(frontier, next, checkpoints[next].TreeSize, problem);
                }
            }
        }

        if (next < checkpoints.Count)
        {
            var size = checkpoints[next].TreeSize;
            return Problem(frontier, next, size,
                $"checkpoint at size {size} does not match the log (the log holds only {frontier.Size} entries: entries after {frontier.Size} were removed)");
        }

        return new AuditVerification { Entries = frontier.Size, Checkpoints = next };
    }

    private static string? CheckpointProblem(AuditCheckpoint checkpoint, MerkleFrontier frontier, ECDsa? key)
    {
        var size = checkpoint.TreeSize;
        if (size != frontier.Size)
        {
            return $"checkpoint at size {size} does not match the log (a tree cannot have {size} entries)";
        }

        var root = Convert.ToHexStringLower(frontier.Root());
        if (!string.Equals(root, checkpoint.RootHash, StringComparison.Ordinal))
        {
            return $"checkpoint at size {size} does not match the log (the root of the first {size} entries is {root[..16]}…, the checkpoint signed {Short(checkpoint.RootHash)})";
        }

        if (key is null)
        {
            return $"checkpoint at size {size} cannot be checked: no public key was given to check its signature with";
        }

        var keyId = AuditSigningKey.KeyIdOf(key);
        if (!string.Equals(checkpoint.KeyId, keyId, StringComparison.Ordinal))
        {
            return $"checkpoint signature invalid: the checkpoint at size {size} names key {checkpoint.KeyId}, not the given key {keyId}";
        }

        return checkpoint.IsSignedBy(key) ? null : $"checkpoint signature invalid: the checkpoint at size {size} does not verify with key {keyId}";
    }

    /// <summary>
    /// Entry <paramref name="seq"/> does not name the hash of the entry before it. What is known of the rest of the
    /// log tells which entry is out of place: if it names the one before that, the one between was inserted; if the
    /// next entry names the one before, this one was; if it names a later entry, they were reordered; if it names no
    /// entry at all, the one before it was altered (and its hash recomputed) or entries between them removed.
    /// </summary>
    private static async Task<(long At, string Problem)> BrokenChainAsync(
        long seq, string named, byte[] previous, byte[]? beforePrevious, IAsyncEnumerator<StoredAuditEntry> rest)
    {
        if (seq > 1 && beforePrevious is not null && string.Equals(named, Convert.ToHexStringLower(beforePrevious), StringComparison.Ordinal))
        {
            return (seq - 1, $"entry {seq - 1} was inserted or reordered (entry {seq} follows entry {seq - 2}, not entry {seq - 1})");
        }

        string? nextNames = null;
        var later = new HashSet<string>(StringComparer.Ordinal);
        while (await rest.MoveNextAsync())
        {
            later.Add(Convert.ToHexStringLower(rest.Current.LeafHash));
            if (nextNames is null)
            {
                try
                {
                    nextNames = AuditEntry.Parse(rest.Current.Json).Previous;
                }
                catch (FormatException)
                {
                    nextNames = "";
                }
            }
        }

        var before = seq == 1 ? "the start of the log" : $"entry {seq - 1}";
        if (string.Equals(nextNames, Convert.ToHexStringLower(previous), StringComparison.Ordinal) || later.Contains(named))
        {
            return (seq, $"entry {seq} was inserted or reordered (its previous-entry hash does not match {before})");
        }

        return seq == 1
            ? (seq, "entry 1 was inserted, or entries before it removed (its previous-entry hash is not that of the start of the log)")
            : (seq - 1, $"entry {seq - 1} was altered, or entries after it removed (entry {seq}'s previous-entry hash does not match it)");
    }

    private static AuditVerification Problem(MerkleFrontier frontier, int checkpoints, long at, string problem) =>
        new() { Entries = frontier.Size, Checkpoints = checkpoints, Problem = problem, ProblemAt = at };

    private static string Short(string hash) => hash.Length > 16 ? hash[..16] + "…" : hash;
}
