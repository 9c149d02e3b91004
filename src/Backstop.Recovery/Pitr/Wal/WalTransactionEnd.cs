namespace Backstop.Recovery.Pitr.Wal;

/// <summary>
/// A transaction's commit or abort record (xactdesc.c): when, which subtransactions it carries along (a top-level
/// commit lists every subtransaction that committed with it; records of a rolled-back savepoint are not among them),
/// and the relation files it drops (a dropped, truncated or rewritten table's old file).
/// </summary>
public sealed record WalTransactionEnd
{
    /// <summary>The top-level transaction: the record's own for COMMIT and ABORT, the prepared one's for COMMIT_PREPARED.</summary>
    public required uint TransactionId { get; init; }

    public required bool Committed { get; init; }

    public required DateTimeOffset Time { get; init; }

    public required WalRecord Record { get; init; }

    public IReadOnlyList<uint> Subtransactions { get; init; } = [];

    public IReadOnlyList<RelFileLocator> DroppedRelations { get; init; } = [];
}
