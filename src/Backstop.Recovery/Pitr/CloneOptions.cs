namespace Backstop.Recovery.Pitr;

/// <summary>What <c>backstop pitr clone</c> was asked for.</summary>
public sealed record CloneOptions
{
    /// <summary>The recovery target as <see cref="RecoveryTarget.Parse"/> reads it; null (and no <see cref="Lsn"/>): now, by the source's clock.</summary>
    public string? Time { get; init; }

    /// <summary>
    /// A WAL location to recover to instead of a time, as PostgreSQL prints a pg_lsn (<c>0/1A2B3C4</c>, read by
    /// <see cref="RecoveryLsn.Parse"/>). Unlike a time, which recovery checks only at commits, a location stops at any
    /// record: just before a <c>DROP DATABASE</c>, or just before a transaction's first change.
    /// </summary>
    public string? Lsn { get; init; }

    /// <summary>
    /// With <see cref="Lsn"/>: whether the record at that location is replayed too (<c>recovery_target_inclusive</c>,
    /// PostgreSQL's default) or recovery stops just before it. Applies to location targets only.
    /// </summary>
    public bool Inclusive { get; init; } = true;

    /// <summary>
    /// Reach the source through this database of its server (e.g. <c>postgres</c>) rather than the environment's own,
    /// which may have been dropped: the clock, the WAL position and the WAL switch that archives WAL past the target.
    /// </summary>
    public string? SourceDatabase { get; init; }

    /// <summary>The clone's sandbox name; null: <c>pitr-&lt;env&gt;-&lt;random&gt;</c>.</summary>
    public string? Name { get; init; }

    /// <summary>Where the clone's sandbox lives; null: <see cref="Postgres.Sandbox.SandboxCluster.DefaultRoot"/>.</summary>
    public string? SandboxRoot { get; init; }

    /// <summary>How long to wait for the source to archive the WAL segment past the target.</summary>
    public TimeSpan ArchiveTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long restore replay may take to reach the target.</summary>
    public TimeSpan RecoveryTimeout { get; init; } = TimeSpan.FromMinutes(30);
}
