using NpgsqlTypes;

namespace Backstop.Recovery.Pitr.Wal;

/// <summary>The WAL a question was answered from: which segments, which locations, which commit times.</summary>
public sealed record WalSearch
{
    public required string FirstSegment { get; init; }

    public required string LastSegment { get; init; }

    public required NpgsqlLogSequenceNumber From { get; init; }

    public required NpgsqlLogSequenceNumber To { get; init; }

    public required int Segments { get; init; }

    public DateTimeOffset? EarliestCommit { get; init; }

    public DateTimeOffset? LatestCommit { get; init; }

    /// <summary>The oldest segment read was the oldest one the archive (or pg_wal) holds.</summary>
    public bool ReachedOldest { get; init; }

    /// <summary>For messages: "WAL from 0/3000000 to 0/9A00028 (segments … to …, commits from … to …)".</summary>
    public override string ToString()
    {
        var commits = EarliestCommit is { } earliest && LatestCommit is { } latest
            ? $", commits from {RecoveryTarget.Display(earliest)} to {RecoveryTarget.Display(latest)}"
            : ", no commit";
        var oldest = ReachedOldest ? "; that is all the WAL the archive and pg_wal hold" : "";
        return $"WAL from {From} to {To} ({Segments} segment{(Segments == 1 ? "" : "s")}, {FirstSegment} to {LastSegment}{commits}){oldest}";
    }
}
