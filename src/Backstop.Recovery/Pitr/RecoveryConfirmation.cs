namespace Backstop.Recovery.Pitr;

/// <summary>
/// What the clone's server said about where recovery stopped: the last commit it replayed (at or before the
/// target) and the first commit it did not replay (after the target).
/// </summary>
public sealed record RecoveryConfirmation
{
    /// <summary><c>pg_last_xact_replay_timestamp()</c> while paused; null when no transaction was replayed after the backup.</summary>
    public DateTimeOffset? LastReplayedCommit { get; init; }

    /// <summary>From the server log: "recovery stopping before commit of transaction N, time T".</summary>
    public required string StoppedBeforeTransaction { get; init; }

    public DateTimeOffset? StoppedBeforeTime { get; init; }
}
