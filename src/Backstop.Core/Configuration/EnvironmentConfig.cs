using Backstop.Postgres.Catalog;

namespace Backstop.Core.Configuration;

/// <summary>One environment of backstop.yaml.</summary>
public sealed record EnvironmentConfig
{
    public required string Name { get; init; }

    /// <summary>A postgresql:// URL, or <c>env:VARNAME</c> to read one from the environment at use.</summary>
    public required string Url { get; init; }

    public required Tier Tier { get; init; }

    /// <summary>For the freeze window; IANA name, default UTC.</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>Bounds a preview's waits for locks (default 2 s); also applied when the change runs.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Bounds each statement of a preview (default 30 s).</summary>
    public TimeSpan StatementTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long before-images and recycle-bin tables are kept (default 30 days); <c>backstop purge</c> removes older ones.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(30);

    public BackupSettings Backup { get; init; } = BackupSettings.Default;

    /// <summary>Null until <c>backstop pitr enable</c> sets point-in-time recovery up.</summary>
    public PitrSettings? Pitr { get; init; }

    /// <summary>The <c>review:</c> section: suppressions of <c>backstop review</c> findings.</summary>
    public Backstop.Core.Review.ReviewSettings Review { get; init; } = Backstop.Core.Review.ReviewSettings.Default;

    /// <summary>What the server runs on its own and when (the <c>schedule:</c> section; docs/schedules.md); empty: nothing.</summary>
    public IReadOnlyList<Schedules.Schedule> Schedules { get; init; } = [];

    /// <summary>The <c>snapshot:</c> section: the masking key's reference, the locale and the rule of every table and column (docs/snapshots.md).</summary>
    public Snapshots.SnapshotSettings Snapshot { get; init; } = Snapshots.SnapshotSettings.Empty;

    /// <summary>Recorded by <c>env add</c>; null if it has not been recorded.</summary>
    public ServerIdentity? Identity { get; init; }
}
