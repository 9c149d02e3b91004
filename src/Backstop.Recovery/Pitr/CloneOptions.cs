namespace Backstop.Recovery.Pitr;

/// <summary>What <c>backstop pitr clone</c> was asked for.</summary>
public sealed record CloneOptions
{
    /// <summary>The recovery target as <see cref="RecoveryTarget.Parse"/> reads it; null: now, by the source's clock.</summary>
    public string? Time { get; init; }

    /// <summary>The clone's sandbox name; null: <c>pitr-&lt;env&gt;-&lt;random&gt;</c>.</summary>
    public string? Name { get; init; }

    /// <summary>Where the clone's sandbox lives; null: <see cref="Postgres.Sandbox.SandboxCluster.DefaultRoot"/>.</summary>
    public string? SandboxRoot { get; init; }

    /// <summary>How long to wait for the source to archive the WAL segment past the target.</summary>
    public TimeSpan ArchiveTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long restore replay may take to reach the target.</summary>
    public TimeSpan RecoveryTimeout { get; init; } = TimeSpan.FromMinutes(30);
}
