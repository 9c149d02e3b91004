using Backstop.Core.Configuration;
using Backstop.Core.Policies;
using Backstop.Postgres.Connections;
using Backstop.Recovery.Catalog;

namespace Backstop.Recovery.Backups;

/// <summary>
/// A restore with everything decided but the go-ahead: the checked backup and where it goes. Restoring over a
/// non-empty database (<see cref="Replaces"/>) is destructive, so the caller first judges it by <see cref="Policy"/> and
/// gets the typed <see cref="ConfirmationName"/>; then <see cref="BackupRestoreService.RestoreAsync"/> does it.
/// </summary>
public sealed record BackupRestoreTarget
{
    public required BackupEntry Backup { get; init; }

    /// <summary>Read and checked file by file against the backup's files.</summary>
    public required BackupManifest Manifest { get; init; }

    public required int Jobs { get; init; }

    /// <summary>The backup's latest drill, when it failed: restored only because the request said <c>--force</c>.</summary>
    public DrillEntry? FailedDrill { get; init; }

    /// <summary>The backup's latest restore drill passed: what it holds is a state Backstop can prove.</summary>
    public bool LatestDrillPassed { get; init; }

    /// <summary>Give objects their owners and grants back (the request did not say <c>--no-owner</c>).</summary>
    public required bool Owners { get; init; }

    /// <summary>The database to restore into; null: a new sandbox named <see cref="SandboxName"/>.</summary>
    public PgUrl? Url { get; init; }

    /// <summary>With no <see cref="Url"/>: the new sandbox's name.</summary>
    public string? SandboxName { get; init; }

    /// <summary>The environment <see cref="Url"/> belongs to (its identity checked); null for a URL or a sandbox.</summary>
    public EnvironmentConfig? Environment { get; init; }

    /// <summary>The objects the database holds; null: it does not exist yet and is created; always null for a sandbox.</summary>
    public long? Objects { get; init; }

    /// <summary>The restore drops and replaces objects of a non-empty database (only ever with <c>--force</c>).</summary>
    public bool Replaces => Objects > 0;

    /// <summary>What the user types to confirm replacing objects: the environment's name, or for a URL its database's.</summary>
    public string ConfirmationName => Environment?.Name ?? Url?.Database ?? "";
}
