namespace Backstop.Core.Audit;

/// <summary>
/// The tamper-evident audit log in the state store (docs/audit.md): append-only entries, chained and hashed into an
/// RFC 6962 Merkle tree, and signed checkpoints of that tree. Appends from any number of processes on one store form
/// one gapless log.
/// </summary>
public interface IAuditLog
{
    /// <summary>The store, for messages: a file path or a URL with its password masked.</summary>
    string Where { get; }

    /// <summary>Records one entry: the store gives it the next number and the time, and chains it to the last one.</summary>
    Task<AuditEntry> AppendAsync(AuditRecord what, CancellationToken cancellationToken);

    /// <summary>Records several entries at once, numbered one after the other, all or none.</summary>
    Task<IReadOnlyList<AuditEntry>> AppendAllAsync(IReadOnlyList<AuditRecord> what, CancellationToken cancellationToken);

    /// <summary>Newest first: at most <paramref name="limit"/> entries, from <paramref name="since"/> on, by <paramref name="actor"/>.</summary>
    Task<IReadOnlyList<AuditEntry>> ListAsync(DateTimeOffset? since, string? actor, int limit, CancellationToken cancellationToken);

    /// <summary>The entry numbered <paramref name="seq"/>, as stored; null if there is none.</summary>
    Task<StoredAuditEntry?> GetAsync(long seq, CancellationToken cancellationToken);

    /// <summary>Every entry in order of number, streamed: for export and verification.</summary>
    IAsyncEnumerable<StoredAuditEntry> ReadAllAsync(CancellationToken cancellationToken);

    /// <summary>The stored leaf hashes of entries 1 to <paramref name="treeSize"/>, in order (fewer if entries are missing).</summary>
    Task<IReadOnlyList<byte[]>> LeafHashesAsync(long treeSize, CancellationToken cancellationToken);

    /// <summary>
    /// Signs the current tree head with <paramref name="key"/> and stores it; when no entry was added since the latest
    /// checkpoint, returns that one. Null while the log is empty.
    /// </summary>
    /// <exception cref="AuditLogDamagedException">the stored entries are not numbered 1 to n: the log will not sign a damaged log.</exception>
    Task<AuditCheckpoint?> CheckpointAsync(AuditSigningKey key, CancellationToken cancellationToken);

    /// <summary>The checkpoint of the largest tree, or null.</summary>
    Task<AuditCheckpoint?> LatestCheckpointAsync(CancellationToken cancellationToken);

    /// <summary>Every checkpoint, smallest tree first.</summary>
    Task<IReadOnlyList<AuditCheckpoint>> CheckpointsAsync(CancellationToken cancellationToken);
}
