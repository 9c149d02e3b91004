using Backstop.Core.Policies;
using Backstop.Core.Team;

namespace Backstop.Server.Services;

/// <summary>An approval request as people see it: what it is bound to, the script, the impact per table, and the votes.</summary>
public sealed record ApprovalView
{
    public required long Id { get; init; }

    public required string Kind { get; init; }

    public required ApprovalStatus Status { get; init; }

    public required string Environment { get; init; }

    public required long ChangeId { get; init; }

    public required string Requester { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }

    public DateTimeOffset? ExecuteBy { get; init; }

    public DateTimeOffset? ExecutedAt { get; init; }

    public required int RequiredApprovals { get; init; }

    public IReadOnlyList<ApprovalVote> Votes { get; init; } = [];

    public required string ScriptSha256 { get; init; }

    /// <summary>The script's first 64 KiB.</summary>
    public string? Script { get; init; }

    public bool ScriptTruncated { get; init; }

    public Verdict? Verdict { get; init; }

    public IReadOnlyList<string> Reasons { get; init; } = [];

    public IReadOnlyList<TableCount> Impact { get; init; } = [];

    /// <summary>A break-glass run's reason.</summary>
    public string? Reason { get; init; }

    public string? ClosedReason { get; init; }

    /// <summary>Where and when the same script committed on a lower tier, with its impact there, beside this environment's preview.</summary>
    public IReadOnlyList<Core.Changes.StagedRun>? StagedRuns { get; init; }
}
