namespace Backstop.Recovery.Catalog;

/// <summary>One restore drill (or PITR drill) and its outcome.</summary>
public sealed record DrillEntry
{
    public long Id { get; init; }

    public required string Environment { get; init; }

    /// <summary>The backup drilled; for a PITR drill, the recovery target.</summary>
    public required string BackupId { get; init; }

    public required string Kind { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset FinishedAt { get; init; }

    public required bool Passed { get; init; }

    /// <summary>The check that failed first: manifest, restore, rows, fingerprint, amcheck, constraints, …</summary>
    public string? FailedCheck { get; init; }

    /// <summary>The file or table that failed it.</summary>
    public string? FailedObject { get; init; }

    public string? Message { get; init; }

    /// <summary>What failed, as recorded (every failure, each with its check and object); null for a passed drill.</summary>
    public string? Failure => Passed ? null : Message ?? $"{FailedCheck} check failed for {FailedObject}";

    /// <summary>Seconds per step, as JSON (<c>{"manifest": 0.4, "restore": 12.1, …}</c>).</summary>
    public string Durations { get; init; } = "{}";
}
