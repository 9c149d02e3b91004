using Backstop.Core.Policies;
using Backstop.Core.Preview;

namespace Backstop.Core.State;

/// <summary>One <c>backstop run</c>, as the state store keeps it.</summary>
public sealed record ChangeRecord
{
    public long Id { get; init; }

    /// <summary>The change's id in the target database's change log (<c>backstop.changes</c>), which is the source of truth.</summary>
    public Guid ChangeUuid { get; init; }

    /// <summary>For an undo: the local id of the change it takes back.</summary>
    public long? UndoOf { get; init; }

    public required string Environment { get; init; }

    public required string SystemIdentifier { get; init; }

    public required string Database { get; init; }

    public required string Host { get; init; }

    public required int Port { get; init; }

    /// <summary>
    /// The script as written: whole when a change is recorded. Read back from the store, only its beginning (the first
    /// 64 KiB for one change, a line's worth in a list); <see cref="ScriptTruncated"/> says whether that is all of it.
    /// </summary>
    public required string Script { get; init; }

    /// <summary>The whole script's size in bytes (UTF-8), as the store read it back; 0 on a record not read from a store.</summary>
    public long ScriptBytes { get; init; }

    /// <summary>True when <see cref="Script"/> holds only the beginning of the script recorded.</summary>
    public bool ScriptTruncated { get; init; }

    public required string ScriptSha256 { get; init; }

    public required Verdict Verdict { get; init; }

    public required IReadOnlyList<string> Reasons { get; init; }

    /// <summary>Per-statement impact: the run's if it ran, else the preview's.</summary>
    public required IReadOnlyList<StatementImpact> Impact { get; init; }

    public required string OsUser { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public TimeSpan? Duration { get; init; }

    public required ChangeOutcome Outcome { get; init; }

    /// <summary>Why it ended as it did, for outcomes other than Committed.</summary>
    public string? Message { get; init; }
}
