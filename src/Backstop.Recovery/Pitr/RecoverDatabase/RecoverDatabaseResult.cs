using Backstop.Recovery.Drills;
using Backstop.Recovery.Pitr.Wal;

namespace Backstop.Recovery.Pitr.RecoverDatabase;

/// <summary>A database put back: where the drop was, the clone it came from, what it holds, and how long each step took.</summary>
public sealed record RecoverDatabaseResult
{
    public required string Environment { get; init; }

    public required string Database { get; init; }

    public required DroppedDatabase Drop { get; init; }

    public required WalSearch Searched { get; init; }

    public required CloneResult FromClone { get; init; }

    public required bool CloneKept { get; init; }

    /// <summary>Every table, with the rows and content hash it has on the clone and, equally, on the server.</summary>
    public required IReadOnlyList<TableFingerprint> Tables { get; init; }

    public required uint NewOid { get; init; }

    /// <summary>Seconds per step: find, clone, check, copy, verify, rename.</summary>
    public required IReadOnlyDictionary<string, double> Durations { get; init; }

    public long Rows => Tables.Sum(t => t.Rows);
}
