namespace Backstop.Core.Notifications;

/// <summary>What a webhook can be told about (docs/schedules.md "Notifications"); the names are those of <c>events:</c>.</summary>
public static class NotificationEvents
{
    public const string ApprovalRequested = "approval.requested";

    public const string ApprovalApproved = "approval.approved";

    public const string ApprovalRejected = "approval.rejected";

    /// <summary>A break-glass run committed without its approval and waits for another person's review.</summary>
    public const string BreakGlassReview = "break_glass.review";

    public const string DrillFailed = "drill.failed";

    /// <summary>An environment's last proven restore is older than its <c>backup.proven_within</c>, or it has none.</summary>
    public const string RestoreStale = "restore.stale";

    /// <summary><c>backstop notify test</c>.</summary>
    public const string Test = "test";

    public static IReadOnlyList<string> All { get; } = [ApprovalRequested, ApprovalApproved, ApprovalRejected, BreakGlassReview, DrillFailed, RestoreStale];
}
