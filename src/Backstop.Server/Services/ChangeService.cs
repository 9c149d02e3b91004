using System.Globalization;
using Backstop.Core.Changes;
using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Core.Reports;
using Backstop.Core.State;
using Backstop.Core.Team;

namespace Backstop.Server.Services;

/// <summary>
/// Guarded changes through the server (docs/server.md): the same lifecycle as the CLI's, run with the server's
/// credentials and the signed-in person as the actor. A change that needs approval becomes an
/// <see cref="ApprovalRequest"/> bound to the prepared change; <see cref="ExecuteAsync"/> runs it once, after
/// approval, measured again.
/// </summary>
public sealed class ChangeService(ServerContext server)
{
    public async Task<ChangeReport> CheckAsync(SignedInUser user, string environmentName, RunRequest request, CancellationToken cancellationToken)
    {
        var environment = server.Environment(environmentName);
        var statements = ScriptAnalyzer.Analyze(request.Script);
        await using var target = await server.Connector.OpenAsync(environment, cancellationToken);
        var result = await server.Lifecycle(target).CheckAsync(statements, request.AllowAllRows, null, cancellationToken);
        return WithTarget(ChangeReports.Check(environment, result, ChangeLifecycle.TransactionalityProblem(statements)), target) with { Actor = user.Name };
    }

    public async Task<ChangeReport> RunAsync(SignedInUser user, string environmentName, RunRequest request, CancellationToken cancellationToken)
    {
        var environment = server.Environment(environmentName);
        var policy = server.Config.Policies[environment.Tier];
        if (request.Emergency && string.IsNullOrWhiteSpace(request.Reason))
        {
            throw ProblemException.BadRequest("--emergency needs --reason TEXT: why this change cannot wait for an approval");
        }

        await using var target = await server.Connector.OpenAsync(environment, cancellationToken);
        var lifecycle = server.Lifecycle(target);
        var prepared = await lifecycle.PrepareAsync(
            new ChangeRequest { Script = request.Script, Actor = user.Name, AllowAllRows = request.AllowAllRows }, null, cancellationToken);
        var detail = new Dictionary<string, string> { ["sha256"] = prepared.ScriptSha256, ["verdict"] = prepared.Verdict.ToString().ToLowerInvariant() };
        switch (prepared.Requires)
        {
            case Requirement.Refused:
                await AuditAsync(user, "run", environment, prepared.Id, "denied", detail, cancellationToken);
                return Report(environment, target, ChangeLifecycle.Denied(prepared), user);
            case Requirement.Approval when request.Emergency:
                if (!policy.BreakGlass)
                {
                    await lifecycle.SetAsideAsync(prepared, ChangeOutcome.NeedsApproval, CancellationToken.None);
                    await AuditAsync(user, "run.emergency", environment, prepared.Id, "denied", detail, cancellationToken);
                    throw ProblemException.Refused(
                        $"break glass is off for the {Tier(environment)} tier (policies.{Tier(environment)}.break_glass), so this change needs an approval; nothing was changed");
                }

                var emergency = await ExecuteAsync(lifecycle, prepared, Authorization.BreakGlass(user.Name), cancellationToken);
                var review = await server.Team.AddRequestAsync(NewRequest(prepared, target, user, request.AllowAllRows, policy) with
                {
                    Kind = ApprovalRequest.PostReview,
                    Reason = request.Reason,
                    Status = emergency.Outcome == ChangeOutcome.Committed ? ApprovalStatus.Open : ApprovalStatus.Reviewed,
                }, cancellationToken);
                detail["reason"] = request.Reason!;
                detail["request"] = review.ToString(CultureInfo.InvariantCulture);
                await AuditAsync(user, "run.emergency", environment, prepared.Id, Outcome(emergency.Outcome), detail, cancellationToken);
                if (emergency.Outcome == ChangeOutcome.Committed)
                {
                    await Notifications.ApprovalNotices.SendAsync(server, Core.Notifications.NotificationEvents.BreakGlassReview, review, user.Name, request.Reason, CancellationToken.None);
                }

                return Report(environment, target, emergency, user) with { RequestId = review };
            case Requirement.Approval:
                var id = await server.Team.AddRequestAsync(NewRequest(prepared, target, user, request.AllowAllRows, policy), cancellationToken);
                detail["request"] = id.ToString(CultureInfo.InvariantCulture);
                await AuditAsync(user, "request", environment, prepared.Id, "ok", detail, cancellationToken);
                await Notifications.ApprovalNotices.SendAsync(server, Core.Notifications.NotificationEvents.ApprovalRequested, id, user.Name, null, CancellationToken.None);
                return ChangeReports.Prepared(environment, prepared, "approval") with
                {
                    Outcome = ChangeOutcome.NeedsApproval,
                    RequestId = id,
                    Endpoint = target.Url.Endpoint,
                    Database = target.Url.Database,
                    Actor = user.Name,
                };
        }

        if (Given(prepared, request) is { } authorization)
        {
            var result = await ExecuteAsync(lifecycle, prepared, authorization, cancellationToken);
            await AuditAsync(user, "run", environment, prepared.Id, Outcome(result.Outcome), detail, cancellationToken);
            return Report(environment, target, result, user);
        }

        if (request.Interactive)
        {
            // The person confirms at their terminal, then ConfirmAsync runs it; until then it stays prepared.
            return ChangeReports.Prepared(environment, prepared, RequiresText(prepared.Requires)) with
            {
                Endpoint = target.Url.Endpoint,
                Database = target.Url.Database,
                Actor = user.Name,
            };
        }

        var aside = await lifecycle.SetAsideAsync(prepared, ChangeOutcome.NotConfirmed, CancellationToken.None);
        return Report(environment, target, aside, user) with
        {
            Message = prepared.Requires == Requirement.TypedName
                ? $"this production change needs a typed confirmation; re-run with --confirm {environment.Name}"
                : "this change needs confirmation; re-run with --yes",
        };
    }

    /// <summary>The confirmation of a change that <see cref="RunAsync"/> left prepared for its requester: it runs now, or is set aside.</summary>
    public async Task<ChangeReport> ConfirmAsync(SignedInUser user, string environmentName, long changeId, RunRequest answer, bool decline, CancellationToken cancellationToken)
    {
        var environment = server.Environment(environmentName);
        await using var target = await server.Connector.OpenAsync(environment, cancellationToken);
        var lifecycle = server.Lifecycle(target);
        var prepared = await LoadAsync(lifecycle, changeId, answer.AllowAllRows, null, cancellationToken);
        if (!string.Equals(prepared.Actor, user.Name, StringComparison.Ordinal))
        {
            throw ProblemException.Refused($"change {changeId} was asked for by {prepared.Actor}; only they confirm it");
        }

        if (prepared.Requires is Requirement.Approval or Requirement.Refused)
        {
            throw ProblemException.Refused($"change {changeId} needs {(prepared.Requires == Requirement.Approval ? "an approval" : "nothing that can be given: it is denied")}, not a confirmation");
        }

        if (decline || Given(prepared, answer) is not { } authorization)
        {
            return Report(environment, target, await lifecycle.SetAsideAsync(prepared, ChangeOutcome.NotConfirmed, CancellationToken.None), user);
        }

        var result = await ExecuteAsync(lifecycle, prepared, authorization, cancellationToken);
        await AuditAsync(user, "run", environment, changeId, Outcome(result.Outcome), new Dictionary<string, string> { ["sha256"] = prepared.ScriptSha256 }, cancellationToken);
        return Report(environment, target, result, user);
    }

    /// <summary>
    /// Runs an approved request, once: the script is the one approved (a script that differs by one byte is another
    /// request), on the database it was approved for, within the impact that was approved (the run measures it again
    /// and rolls back if any table's count grew or a table is new).
    /// </summary>
    public async Task<(ChangeReport Report, ApprovalRequest Request)> ExecuteRequestAsync(SignedInUser user, long requestId, string? scriptSha256, CancellationToken cancellationToken)
    {
        var request = await server.Team.GetRequestAsync(requestId, cancellationToken) ?? throw ProblemException.NotFound($"there is no approval request {requestId}; `backstop approvals` lists the open ones");
        var now = server.Clock.GetUtcNow();
        var environment = server.Environment(request.Environment);
        var refused = Refusal(request, user, scriptSha256, now);
        if (refused is not null)
        {
            await AuditAsync(user, "execute", environment, request.ChangeId, "refused", new Dictionary<string, string> { ["request"] = Id(requestId), ["why"] = refused.Message }, cancellationToken);
            throw refused;
        }

        await using var target = await server.Connector.OpenAsync(environment, cancellationToken);
        if (target.Identity.SystemIdentifier != request.SystemIdentifier || target.Identity.Database != request.Database
            || (request.DatabaseOid is { } oid && target.Identity.DatabaseOid is { } now2 && oid != now2))
        {
            throw ProblemException.Refused(
                $"request {requestId} was approved for cluster {request.SystemIdentifier}, database '{request.Database}', but environment '{environment.Name}' now reaches another database; nothing was changed. Run the script again to request approval for this one");
        }

        var lifecycle = server.Lifecycle(target);
        var prepared = await LoadAsync(lifecycle, request.ChangeId, request.AllowAllRows, request.DatabaseOid, cancellationToken);
        if (!await server.Team.ClaimForExecutionAsync(requestId, now, cancellationToken))
        {
            var again = await server.Team.GetRequestAsync(requestId, cancellationToken);
            throw Refusal(again!, user, null, server.Clock.GetUtcNow()) ?? ProblemException.Refused($"request {requestId} could not be claimed for execution; it runs once");
        }

        var approver = request.Approvers.First(a => !string.Equals(a, request.Requester, StringComparison.Ordinal));
        var result = await ExecuteAsync(lifecycle, prepared, Authorization.Approved(approver), cancellationToken);
        if (result.Outcome != ChangeOutcome.Committed)
        {
            await server.Team.CloseAsync(requestId, $"executed by {user.Name}, but not committed: {result.Message}", CancellationToken.None);
        }

        await AuditAsync(user, "execute", environment, request.ChangeId, Outcome(result.Outcome), new Dictionary<string, string>
        {
            ["request"] = Id(requestId),
            ["sha256"] = request.ScriptSha256,
            ["approvedBy"] = string.Join(",", request.Approvers),
        }, cancellationToken);
        return (Report(environment, target, result, user) with { RequestId = requestId }, request);
    }

    /// <summary>Why this person may not execute this request now, or null.</summary>
    private static ProblemException? Refusal(ApprovalRequest request, SignedInUser user, string? scriptSha256, DateTimeOffset now)
    {
        if (request.Kind == ApprovalRequest.PostReview)
        {
            return ProblemException.Refused($"request {request.Id} is the review of a break-glass run, which ran already; review it with `backstop approve {request.Id}`");
        }

        if (!string.Equals(request.Requester, user.Name, StringComparison.Ordinal) && user.User.Role != TeamRole.Admin)
        {
            return ProblemException.Refused($"request {request.Id} was made by {request.Requester}; they execute it (or an admin)");
        }

        if (scriptSha256 is not null && !string.Equals(scriptSha256, request.ScriptSha256, StringComparison.OrdinalIgnoreCase))
        {
            return ProblemException.Refused(
                $"the script given is not the one approved in request {request.Id} (SHA-256 {scriptSha256[..Math.Min(12, scriptSha256.Length)]}…, approved {request.ScriptSha256[..12]}…); " +
                "a changed script is a new change: run it to request approval for it. Nothing was changed");
        }

        return request.StatusAt(now) switch
        {
            ApprovalStatus.Approved => null,
            ApprovalStatus.Open => ProblemException.NeedsApproval(
                $"request {request.Id} has {request.Approvers.Count()} of {request.RequiredApprovals} approvals it needs; nothing was changed. Another person approves with `backstop approve {request.Id}`"),
            ApprovalStatus.Rejected => ProblemException.Refused($"request {request.Id} was rejected ({request.ClosedReason}); a rejected request never runs. Nothing was changed"),
            ApprovalStatus.Executed => ProblemException.Refused(
                $"request {request.Id} ran already, at {request.ExecutedAt:u}; an approved request runs once. Nothing was changed. Run the script again to request a new approval"),
            ApprovalStatus.Expired when request.Status == ApprovalStatus.Approved => ProblemException.NeedsApproval(
                $"the approval of request {request.Id} expired at {request.ExecuteBy:u} (it must run within the execution window after approval); nothing was changed. Run the script again to request a new approval"),
            ApprovalStatus.Expired => ProblemException.NeedsApproval(
                $"request {request.Id} expired at {request.ExpiresAt:u} without the approvals it needed; nothing was changed. Run the script again to request a new approval"),
            _ => ProblemException.Refused($"request {request.Id} is {request.StatusAt(now).ToString().ToLowerInvariant()} and cannot run"),
        };
    }

    private static async Task<PreparedChange> LoadAsync(ChangeLifecycle lifecycle, long changeId, bool allowAllRows, uint? oid, CancellationToken cancellationToken)
    {
        try
        {
            return await lifecycle.LoadPreparedAsync(changeId, allowAllRows, oid, cancellationToken);
        }
        catch (ChangeNotRunnableException e)
        {
            throw ProblemException.Refused(e.Message);
        }
    }

    private static async Task<RunResult> ExecuteAsync(ChangeLifecycle lifecycle, PreparedChange prepared, Authorization authorization, CancellationToken cancellationToken)
    {
        try
        {
            return await lifecycle.ExecuteAsync(prepared, authorization, null, cancellationToken);
        }
        catch (ChangeNotRunnableException e)
        {
            throw ProblemException.Refused(e.Message);
        }
    }

    private ApprovalRequest NewRequest(PreparedChange prepared, ConnectedEnvironment target, SignedInUser user, bool allowAllRows, Core.Policies.TierPolicy policy)
    {
        var now = server.Clock.GetUtcNow();
        return new ApprovalRequest
        {
            ChangeId = prepared.Id,
            Environment = target.Environment.Name,
            SystemIdentifier = target.Identity.SystemIdentifier,
            Database = target.Identity.Database,
            DatabaseOid = target.Identity.DatabaseOid,
            ScriptSha256 = prepared.ScriptSha256,
            Impact = prepared.Preview.Impacts.SelectMany(i => i.Tables).GroupBy(t => t.QualifiedName, StringComparer.Ordinal)
                .Select(g => new TableCount(g.Key, g.Sum(t => t.Inserted), g.Sum(t => t.Updated), g.Sum(t => t.Deleted))).ToList(),
            Requester = user.Name,
            AllowAllRows = allowAllRows,
            StagedRuns = prepared.StagedRuns is { Count: > 0 } staged ? System.Text.Json.JsonSerializer.Serialize(staged, Core.Reports.ReportJson.Compact) : null,
            RequiredApprovals = Math.Max(1, policy.Approvals),
            Status = ApprovalStatus.Open,
            CreatedAt = now,
            ExpiresAt = now + server.Settings.ApprovalExpiry,
        };
    }

    private static Authorization? Given(PreparedChange prepared, RunRequest request) => prepared.Requires switch
    {
        Requirement.Nothing => Authorization.None,
        Requirement.Confirmation when request.Yes => Authorization.Confirmed(prepared.Actor),
        Requirement.TypedName when request.Confirm is { } typed && string.Equals(typed, prepared.Environment, StringComparison.Ordinal) => Authorization.Typed(prepared.Actor, typed),
        Requirement.TypedName when request.Confirm is { } typed => throw ProblemException.Refused(
            $"--confirm '{typed}' does not match the environment's name '{prepared.Environment}'; nothing was changed"),
        _ => null,
    };

    private static string? RequiresText(Requirement requires) => requires switch
    {
        Requirement.Confirmation => "confirmation",
        Requirement.TypedName => "typedName",
        Requirement.Approval => "approval",
        _ => null,
    };

    private static ChangeReport Report(EnvironmentConfig environment, ConnectedEnvironment target, RunResult result, SignedInUser user) =>
        WithTarget(ChangeReports.Run(environment, result), target) with { Actor = user.Name };

    private static ChangeReport WithTarget(ChangeReport report, ConnectedEnvironment target) => report with { Endpoint = target.Url.Endpoint, Database = target.Url.Database };

    private Task AuditAsync(SignedInUser user, string action, EnvironmentConfig environment, long changeId, string outcome, IReadOnlyDictionary<string, string> detail, CancellationToken cancellationToken) =>
        server.Audit.RecordAsync(new AuditEvent(user.Name, user.From, action, environment.Name, $"change {Id(changeId)}", outcome, detail), cancellationToken);

    private static string Outcome(ChangeOutcome outcome) => outcome switch
    {
        ChangeOutcome.Committed => "ok",
        ChangeOutcome.Denied => "denied",
        ChangeOutcome.Failed => "failed",
        _ => outcome.ToString().ToLowerInvariant(),
    };

    private static string Tier(EnvironmentConfig environment) => environment.Tier.ToString().ToLowerInvariant();

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
}
