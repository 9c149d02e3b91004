using NpgsqlTypes;

namespace Backstop.Recovery.Pitr.Wal;

/// <summary>
/// A transaction that wrote some given relations, as the WAL shows it: its first and last record on them (its
/// subtransactions' records included), its commit (or abort) record and time, and how many of its records changed
/// them. A clone just before <see cref="FirstLsn"/> (exclusive) holds those relations without any of its changes; a
/// clone just after <see cref="CommitLsn"/> (inclusive) holds all of them.
/// </summary>
/// <param name="TransactionId">the top-level transaction.</param>
/// <param name="CommitLsn">its commit record; for an aborted one, its abort record.</param>
/// <param name="CommitTime">the time in that record.</param>
/// <param name="Records">heap insert, update and delete records on the relations, and files of them created or dropped (TRUNCATE, VACUUM FULL).</param>
public sealed record WalTransaction(
    uint TransactionId,
    NpgsqlLogSequenceNumber FirstLsn,
    NpgsqlLogSequenceNumber LastLsn,
    NpgsqlLogSequenceNumber CommitLsn,
    DateTimeOffset CommitTime,
    long Records)
{
    /// <summary>False: it aborted (or, for a transaction id that is a subtransaction's, that savepoint was rolled back).</summary>
    public bool Committed { get; init; } = true;

    /// <summary>The subtransactions its commit record lists (savepoints, PL/pgSQL exception blocks) whose records were counted.</summary>
    public IReadOnlyList<uint> Subtransactions { get; init; } = [];

    /// <summary><see cref="Records"/>, per relation.</summary>
    public IReadOnlyDictionary<RelFileLocator, long> RecordsByRelation { get; init; } = new Dictionary<RelFileLocator, long>();
}
