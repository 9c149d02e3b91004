namespace Backstop.Core.Team;

/// <summary>Where an approval request stands. Expiry is read from the clock, not stored: see <see cref="ApprovalRequest.StatusAt"/>.</summary>
public enum ApprovalStatus
{
    /// <summary>Waiting for approvals (or, for a break-glass run, for someone to review it).</summary>
    Open,

    /// <summary>Approved by enough people other than the requester; may be executed once, until its window closes.</summary>
    Approved,

    Rejected,

    /// <summary>Run (whatever came of the run: the change's record says).</summary>
    Executed,

    /// <summary>Not approved in time, or approved and not executed in time.</summary>
    Expired,

    /// <summary>A break-glass run that another person has reviewed.</summary>
    Reviewed,
}
