namespace Backstop.Recovery.Catalog;

/// <summary>A backup as the catalog records it.</summary>
public sealed record BackupEntry
{
    public required string Environment { get; init; }

    public required string Id { get; init; }

    /// <summary><c>logical</c> (pg_dump) or <c>pitr</c> (pgBackRest).</summary>
    public required string Kind { get; init; }

    public required BackupStatus Status { get; init; }

    public required string Path { get; init; }

    public required string Database { get; init; }

    public required string SystemIdentifier { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public long? SizeBytes { get; init; }

    public int? Tables { get; init; }

    public long? Rows { get; init; }

    public string? Message { get; init; }

    public int ProcessId { get; init; }
}
