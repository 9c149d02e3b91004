using System.Globalization;
using Backstop.Core.Team;

namespace Backstop.Server.Services;

/// <summary>
/// Approving and rejecting requests (docs/server.md "Approvals"): only an approver or admin other than the requester
/// approves, whatever their role; each person votes once; the vote that reaches the tier's count approves the request.
/// A break-glass run's request is closed by another person's review.
/// </summary>
public sealed class ApprovalService(ServerContext server)
{
    public async Task<IReadOnlyList<ApprovalView>> ListAsync(string? environment, bool all, CancellationToken cancellationToken)
    {
        var now = server.Clock.GetUtcNow();
        var requests = await server.Team.ListRequestsAsync(environment, openOnly: !all, limit: 200, cancellationToken);
        var views = new List<ApprovalView>();
        foreach (var request in requests)
        {
            var status = request.StatusAt(now);
            if (!all && status is not (ApprovalStatus.Open or ApprovalStatus.Approved))
            {
                continue;
            }

            views.Add(await ViewAsync(request, now, cancellationToken));
        }

        return views;
    }

    public async Task<ApprovalView> GetAsync(long id, CancellationToken cancellationToken) =>
        await ViewAsync(await FindAsync(id, cancellationToken), server.Clock.GetUtcNow(), cancellationToken);

    public async Task<ApprovalView> ApproveAsync(SignedInUser user, long id, string? reason, CancellationToken cancellationToken)
    {
        var request = await FindAsync(id, cancellationToken);
        var now = server.Clock.GetUtcNow();
        if (string.Equals(request.Requester, user.Name, StringComparison.Ordinal))
        {
            await AuditAsync(user, "approve", request, "refused", "self-approval", cancellationToken);
            throw ProblemException.Refused($"you ({user.Name}) asked for request {id}, and nobody approves their own request, whatever their role; another approver must approve it");
        }

        if (!user.User.MayApprove)
        {
            await AuditAsync(user, "approve", request, "refused", "role", cancellationToken);
            throw ProblemException.Refused($"your role is {user.User.Role.ToString().ToLowerInvariant()}, which may not approve; an approver or admin must approve request {id}");
        }

        var vote = new ApprovalVote(user.Name, true, reason, now);
        if (request.Kind == ApprovalRequest.PostReview)
        {
            if (!await server.Team.ReviewAsync(id, vote, cancellationToken))
            {
                throw ProblemException.Refused($"request {id} was reviewed already");
            }

            await AuditAsync(user, "review", request, "ok", reason, cancellationToken);
            return await GetAsync(id, cancellationToken);
        }

        if (NotOpen(request, now) is { } closed)
        {
            await AuditAsync(user, "approve", request, "refused", closed.Message, cancellationToken);
            throw closed;
        }

        var status = await server.Team.VoteAsync(id, vote, server.Settings.ExecuteWindow, cancellationToken)
            ?? throw ProblemException.Refused($"you have approved or rejected request {id} already, or it is no longer open");
        await AuditAsync(user, "approve", request, "ok", reason, cancellationToken, status);
        if (status == ApprovalStatus.Approved)
        {
            await Notifications.ApprovalNotices.SendAsync(server, Core.Notifications.NotificationEvents.ApprovalApproved, id, user.Name, reason, CancellationToken.None);
        }

        return await GetAsync(id, cancellationToken);
    }

    public async Task<ApprovalView> RejectAsync(SignedInUser user, long id, string reason, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw ProblemException.BadRequest("a rejection needs --reason TEXT, for the requester and the audit log");
        }

        var request = await FindAsync(id, cancellationToken);
        var own = string.Equals(request.Requester, user.Name, StringComparison.Ordinal);
        if (!own && !user.User.MayApprove)
        {
            throw ProblemException.Refused($"your role is {user.User.Role.ToString().ToLowerInvariant()}, which may not reject other people's requests");
        }

        var now = server.Clock.GetUtcNow();
        if (request.Kind == ApprovalRequest.PostReview || NotOpen(request, now) is not null)
        {
            throw ProblemException.Refused($"request {id} is {request.StatusAt(now).ToString().ToLowerInvariant()}; only an open request can be rejected");
        }

        _ = await server.Team.VoteAsync(id, new ApprovalVote(user.Name, false, reason, now), server.Settings.ExecuteWindow, cancellationToken)
            ?? throw ProblemException.Refused($"you have voted on request {id} already, or it is no longer open");
        await AuditAsync(user, "reject", request, "ok", reason, cancellationToken);
        await Notifications.ApprovalNotices.SendAsync(server, Core.Notifications.NotificationEvents.ApprovalRejected, id, user.Name, reason, CancellationToken.None);
        return await GetAsync(id, cancellationToken);
    }

    private static ProblemException? NotOpen(ApprovalRequest request, DateTimeOffset now) => request.StatusAt(now) switch
    {
        ApprovalStatus.Open => null,
        ApprovalStatus.Expired => ProblemException.Refused($"request {request.Id} expired at {request.ExpiresAt:u}; the requester runs the script again to make a new request"),
        var status => ProblemException.Refused($"request {request.Id} is {status.ToString().ToLowerInvariant()} already"),
    };

    private async Task<ApprovalRequest> FindAsync(long id, CancellationToken cancellationToken) =>
        await server.Team.GetRequestAsync(id, cancellationToken) ?? throw ProblemException.NotFound($"there is no approval request {id}; `backstop approvals --all` lists them");

    private async Task<ApprovalView> ViewAsync(ApprovalRequest request, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var change = await server.Store.GetAsync(request.ChangeId, cancellationToken);
        return new ApprovalView
        {
            Id = request.Id,
            Kind = request.Kind,
            Status = request.StatusAt(now),
            Environment = request.Environment,
            ChangeId = request.ChangeId,
            Requester = request.Requester,
            CreatedAt = request.CreatedAt,
            ExpiresAt = request.ExpiresAt,
            ExecuteBy = request.ExecuteBy,
            ExecutedAt = request.ExecutedAt,
            RequiredApprovals = request.RequiredApprovals,
            Votes = request.Votes,
            ScriptSha256 = request.ScriptSha256,
            Script = change?.Script,
            ScriptTruncated = change?.ScriptTruncated ?? false,
            Verdict = change?.Verdict,
            Reasons = change?.Reasons ?? [],
            Impact = request.Impact,
            Reason = request.Reason,
            ClosedReason = request.ClosedReason,
            StagedRuns = request.StagedRuns is { } staged ? System.Text.Json.JsonSerializer.Deserialize<List<Core.Changes.StagedRun>>(staged, Core.Reports.ReportJson.Compact) : null,
        };
    }

    private Task AuditAsync(SignedInUser user, string action, ApprovalRequest request, string outcome, string? reason, CancellationToken cancellationToken, ApprovalStatus? status = null)
    {
        var detail = new Dictionary<string, string> { ["change"] = request.ChangeId.ToString(CultureInfo.InvariantCulture), ["sha256"] = request.ScriptSha256 };
        if (reason is not null)
        {
            detail["reason"] = reason;
        }

        if (status is { } s)
        {
            detail["status"] = s.ToString().ToLowerInvariant();
        }

        return server.Audit.RecordAsync(new AuditEvent(user.Name, user.From, action, request.Environment, $"request {request.Id.ToString(CultureInfo.InvariantCulture)}", outcome, detail), cancellationToken);
    }
}
