using System.Text;

namespace Backstop.Core.Audit;

/// <summary>How both stores extend the log: each new entry numbered after the last and chained to its leaf hash.</summary>
internal static class AuditChain
{
    /// <param name="last">the last stored entry's number and leaf hash; null when the log is empty.</param>
    public static IReadOnlyList<(AuditEntry Entry, StoredAuditEntry Stored)> Extend((long Seq, byte[] LeafHash)? last, DateTimeOffset at, IReadOnlyList<AuditRecord> what)
    {
        var seq = last?.Seq ?? 0;
        var previous = last is { } l ? Convert.ToHexStringLower(l.LeafHash) : AuditEntry.NoPrevious;
        var entries = new List<(AuditEntry, StoredAuditEntry)>(what.Count);
        foreach (var record in what)
        {
            var entry = AuditEntry.Create(++seq, previous, at, record);
            var json = entry.ToCanonicalJson();
            var leafHash = MerkleTree.LeafHash(Encoding.UTF8.GetBytes(json));
            entries.Add((entry, new StoredAuditEntry(seq, json, leafHash)));
            previous = Convert.ToHexStringLower(leafHash);
        }

        return entries;
    }

    /// <summary>The tree head of the stored leaf hashes, refused unless they are entries 1 to n.</summary>
    /// <exception cref="AuditLogDamagedException">an entry is missing.</exception>
    public static (long Size, string Root) Head(IEnumerable<(long Seq, byte[] LeafHash)> leaves, string where)
    {
        var frontier = new MerkleFrontier();
        foreach (var (seq, leafHash) in leaves)
        {
            if (seq != frontier.Size + 1)
            {
                throw new AuditLogDamagedException(
                    $"the audit log in {where} is damaged: entry {frontier.Size + 1} is missing (entries jump from {frontier.Size} to {seq}); nothing was signed. Run `backstop audit verify` to see what else is wrong");
            }

            frontier.Append(leafHash);
        }

        return (frontier.Size, frontier.Size == 0 ? "" : Convert.ToHexStringLower(frontier.Root()));
    }
}
