namespace Backstop.Core.Team;

/// <summary>
/// A change that waits for other people (docs/server.md "Approvals"), bound to exactly what they judge: the prepared
/// change, the environment's identity (cluster, database and its OID), the script's SHA-256 and the previewed impact
/// per table. A break-glass run is recorded the same way, as a request of kind <see cref="PostReview"/> that waits
/// for a review after it ran.
/// </summary>
public sealed record ApprovalRequest
{
    public const string Approval = "approval";
    public const string PostReview = "post-review";

    public long Id { get; init; }

    /// <summary>The prepared change in the state store that runs when the request is executed.</summary>
    public required long ChangeId { get; init; }

    public required string Environment { get; init; }

    public required string SystemIdentifier { get; init; }

    public required string Database { get; init; }

    public uint? DatabaseOid { get; init; }

    public required string ScriptSha256 { get; init; }

    public required IReadOnlyList<TableCount> Impact { get; init; }

    public required string Requester { get; init; }

    public bool AllowAllRows { get; init; }

    /// <summary>How many people other than the requester must approve.</summary>
    public required int RequiredApprovals { get; init; }

    /// <summary><see cref="Approval"/> or <see cref="PostReview"/>.</summary>
    public string Kind { get; init; } = Approval;

    /// <summary>Why a break-glass run could not wait; null for an ordinary request.</summary>
    public string? Reason { get; init; }

    /// <summary>Where and when the same script ran on an environment of a lower tier (JSON, shown beside the request).</summary>
    public string? StagedRuns { get; init; }

    public required ApprovalStatus Status { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When an open request stops accepting approvals.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    public DateTimeOffset? ApprovedAt { get; init; }

    /// <summary>When an approved request can no longer be executed.</summary>
    public DateTimeOffset? ExecuteBy { get; init; }

    public DateTimeOffset? ExecutedAt { get; init; }

    /// <summary>Why it was closed without running (rejected, refused at execution), when it was.</summary>
    public string? ClosedReason { get; init; }

    public IReadOnlyList<ApprovalVote> Votes { get; init; } = [];

    public IEnumerable<string> Approvers => Votes.Where(v => v.Approved).Select(v => v.Voter);

    /// <summary>The status as of <paramref name="now"/>: an open or approved request past its time has expired.</summary>
    public ApprovalStatus StatusAt(DateTimeOffset now) => Status switch
    {
        ApprovalStatus.Open when Kind == Approval && now > ExpiresAt => ApprovalStatus.Expired,
        ApprovalStatus.Approved when ExecuteBy is { } by && now > by => ApprovalStatus.Expired,
        _ => Status,
    };
}
