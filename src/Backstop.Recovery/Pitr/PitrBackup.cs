using NpgsqlTypes;

namespace Backstop.Recovery.Pitr;

/// <summary>One backup in a pgBackRest repository, from <c>pgbackrest info --output=json</c>.</summary>
public sealed record PitrBackup
{
    /// <summary>pgBackRest's label, e.g. <c>20261121-150504F</c> (full), <c>…_20261121-151000I</c> (incremental).</summary>
    public required string Label { get; init; }

    /// <summary><c>full</c>, <c>diff</c> or <c>incr</c>.</summary>
    public required string Type { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When the backup ended (whole seconds): the earliest time it can be recovered to is just after it.</summary>
    public required DateTimeOffset StoppedAt { get; init; }

    /// <summary>The size of the cluster it copies.</summary>
    public required long DatabaseBytes { get; init; }

    /// <summary>What it added to the repository (compressed).</summary>
    public required long RepositoryBytes { get; init; }

    public string? WalStart { get; init; }

    public string? WalStop { get; init; }

    /// <summary>The WAL location where the backup ended (pgBackRest's <c>lsn.stop</c>); a location target must not be before it.</summary>
    public NpgsqlLogSequenceNumber? LsnStop { get; init; }

    /// <summary>pgBackRest found page checksum errors or another problem while copying.</summary>
    public bool HasErrors { get; init; }

    /// <summary>
    /// The earliest recovery target this backup serves: the first whole second after it stopped (the recorded stop
    /// time is truncated to the second, and recovery cannot stop before the backup's end is replayed).
    /// </summary>
    public DateTimeOffset RecoverableFrom => StoppedAt.AddSeconds(1);
}
