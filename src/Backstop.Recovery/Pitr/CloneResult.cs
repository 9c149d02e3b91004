using Backstop.Postgres.Sandbox;
using NpgsqlTypes;

namespace Backstop.Recovery.Pitr;

/// <summary>A point-in-time clone, running as a sandbox: where it is, which point in time it holds, and the proof.</summary>
public sealed record CloneResult
{
    public required SandboxCluster Cluster { get; init; }

    /// <summary>The environment's user and database on the clone's loopback port; no password (the clone has the source's roles and passwords).</summary>
    public required string Url { get; init; }

    /// <summary>For Backstop itself: the clone's socket as the cluster owner, which the clone trusts (its socket is open to that user only).</summary>
    public required string OwnerConnectionString { get; init; }

    /// <summary>
    /// The time the clone holds: the requested time; for a location target, the last commit replayed (or the end of
    /// the restored backup when it replayed none), as <see cref="TargetLsn"/> names no time.
    /// </summary>
    public required DateTimeOffset Target { get; init; }

    /// <summary>The WAL location recovery stopped at, for a clone asked for one; null for a time target.</summary>
    public NpgsqlLogSequenceNumber? TargetLsn { get; init; }

    /// <summary>With <see cref="TargetLsn"/>: the record at it was replayed too (false: the clone stops just before it).</summary>
    public bool Inclusive { get; init; } = true;

    /// <summary>The pgBackRest backup restored before WAL replay.</summary>
    public required string Backup { get; init; }

    public required RecoveryConfirmation Confirmation { get; init; }

    /// <summary>The WAL segment the source archived past the target; null when the source was not reachable.</summary>
    public string? ArchivedSegment { get; init; }

    public required IReadOnlyList<string> Warnings { get; init; }

    public string Name => Cluster.Info.Name;
}
