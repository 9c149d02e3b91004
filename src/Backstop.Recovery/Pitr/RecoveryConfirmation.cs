using NpgsqlTypes;

namespace Backstop.Recovery.Pitr;

/// <summary>
/// What the clone's server said about where recovery stopped: the last commit it replayed (at or before the
/// target) and the first commit it did not replay (after the target).
/// </summary>
public sealed record RecoveryConfirmation
{
    /// <summary><c>pg_last_xact_replay_timestamp()</c> while paused; null when no transaction was replayed after the backup.</summary>
    public DateTimeOffset? LastReplayedCommit { get; init; }

    /// <summary><c>pg_last_wal_replay_lsn()</c> while paused: the end of the last record replayed.</summary>
    public NpgsqlLogSequenceNumber? LastReplayedLsn { get; init; }

    /// <summary>
    /// From the server log: "recovery stopping before commit of transaction N, time T"; for a location target, "record at
    /// WAL location X/Y" (before it, or after it when <see cref="StoppedAfter"/>).
    /// </summary>
    public required string StoppedBeforeTransaction { get; init; }

    public DateTimeOffset? StoppedBeforeTime { get; init; }

    /// <summary>For a location target: the record the server stopped at, from "recovery stopping before|after WAL location (LSN)".</summary>
    public NpgsqlLogSequenceNumber? StoppedAtLsn { get; init; }

    /// <summary>For an inclusive location target: the record at <see cref="StoppedAtLsn"/> was replayed.</summary>
    public bool StoppedAfter { get; init; }
}
