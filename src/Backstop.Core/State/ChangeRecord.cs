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

    public required string Script { get; init; }

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
