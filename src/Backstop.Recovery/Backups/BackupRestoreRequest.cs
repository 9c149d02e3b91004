using Backstop.Core.Configuration;

namespace Backstop.Recovery.Backups;

/// <summary>What <c>backstop backup restore</c> was asked for.</summary>
public sealed record BackupRestoreRequest
{
    /// <summary>The environment whose backup is restored.</summary>
    public required EnvironmentConfig Environment { get; init; }

    public required string BackupId { get; init; }

    /// <summary>Where to restore: an environment's name or a postgresql:// URL; null: into a new sandbox.</summary>
    public string? To { get; init; }

    /// <summary>With no <see cref="To"/>: the sandbox's name; null: <c>restore-ID</c>.</summary>
    public string? SandboxName { get; init; }

    /// <summary>
    /// Restore over a database that already holds objects (they are dropped first), and restore a backup whose latest
    /// drill failed; without it, both are refused.
    /// </summary>
    public bool Force { get; init; }

    /// <summary>Do not restore owners and grants (for a server without the backup's roles).</summary>
    public bool NoOwner { get; init; }

    /// <summary>Parallel pg_restore jobs; null: the environment's <c>backup.jobs</c>.</summary>
    public int? Jobs { get; init; }
}
