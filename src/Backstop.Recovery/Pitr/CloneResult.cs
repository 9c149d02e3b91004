using Backstop.Postgres.Sandbox;

namespace Backstop.Recovery.Pitr;

/// <summary>A point-in-time clone, running as a sandbox: where it is, which point in time it holds, and the proof.</summary>
public sealed record CloneResult
{
    public required SandboxCluster Cluster { get; init; }

    /// <summary>The environment's user and database on the clone's loopback port; no password (the clone has the source's roles and passwords).</summary>
    public required string Url { get; init; }

    /// <summary>For Backstop itself: the clone's socket as the cluster owner, which the clone trusts (its socket is open to that user only).</summary>
    public required string OwnerConnectionString { get; init; }

    public required DateTimeOffset Target { get; init; }

    /// <summary>The pgBackRest backup restored before WAL replay.</summary>
    public required string Backup { get; init; }

    public required RecoveryConfirmation Confirmation { get; init; }

    /// <summary>The WAL segment the source archived past the target; null when the source was not reachable.</summary>
    public string? ArchivedSegment { get; init; }

    public required IReadOnlyList<string> Warnings { get; init; }

    public string Name => Cluster.Info.Name;
}
