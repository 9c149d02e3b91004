using NpgsqlTypes;

namespace Backstop.Recovery.Pitr.Wal;

/// <summary>
/// A <c>DROP DATABASE</c> as the WAL shows it, and the location to recover to so that the database is there, valid and
/// with every committed change. PostgreSQL 15.4+ (and 16) drops a database in this order (dbcommands.c dropdb): it
/// marks the database invalid with an in-place update of its pg_database row (<c>datconnlimit = -2</c>, not undone
/// by a rollback), deletes the row in the dropping transaction, checkpoints, removes the directory (the
/// <c>Database DROP</c> record) and commits. A time target stops only at a commit, after all of that; the location
/// to stop just before is the first of these records.
/// </summary>
public sealed record DroppedDatabase
{
    public required uint DatabaseOid { get; init; }

    /// <summary>The tablespaces whose directory of the database was removed.</summary>
    public required IReadOnlyList<uint> Tablespaces { get; init; }

    /// <summary>The <c>Database DROP</c> record: the files are removed here.</summary>
    public required NpgsqlLogSequenceNumber DropLsn { get; init; }

    /// <summary>The transaction that ran DROP DATABASE.</summary>
    public required uint TransactionId { get; init; }

    /// <summary>Its commit record; null when the WAL holds none (the server stopped during the drop).</summary>
    public NpgsqlLogSequenceNumber? CommitLsn { get; init; }

    public DateTimeOffset? CommitTime { get; init; }

    /// <summary>The in-place update that marked the database invalid; null before PostgreSQL 15.4, which did not.</summary>
    public NpgsqlLogSequenceNumber? MarkedInvalidLsn { get; init; }

    /// <summary>
    /// Recover to here, exclusive: the first record of the drop (the invalid mark, or the dropping transaction's first
    /// record). No session was connected to the database from then on (DROP DATABASE refuses or, WITH (FORCE),
    /// terminates them first), so every transaction that changed it had ended.
    /// </summary>
    public required NpgsqlLogSequenceNumber RecoveryLsn { get; init; }

    /// <summary>The last commit, within the WAL read, of a transaction that changed the database; null when none was read.</summary>
    public NpgsqlLogSequenceNumber? LastCommitLsn { get; init; }

    public DateTimeOffset? LastCommitTime { get; init; }

    public uint? LastCommitTransactionId { get; init; }
}
