using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using static Backstop.Core.Team.TeamDatabase;

namespace Backstop.Core.Team;

/// <summary>
/// People, sign-in tokens and approval requests in the state store, shared by every server process of a team: each
/// operation is one statement or one transaction, and the steps that must happen once (an approval that completes a
/// request, the claim of an approved request for execution) are conditional updates that exactly one caller wins.
/// </summary>
public sealed class TeamStore(TeamDatabase database)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private string T(string table) => database.Prefix + table;

    public Task<long> CountUsersAsync(CancellationToken cancellationToken) =>
        database.ReadAsync(async (c, ct) =>
        {
            await using var command = Command(c, $"SELECT count(*) FROM {T("users")}");
            return Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
        }, cancellationToken);

    /// <returns>false if someone of that name exists already.</returns>
    public Task<bool> AddUserAsync(TeamUser user, CancellationToken cancellationToken) =>
        database.WriteAsync(async (c, ct) =>
        {
            await using var command = Command(c,
                $"""
                INSERT INTO {T("users")} (name, role, password_hash, scram_verifier, disabled, failed_attempts, created_at, password_changed_at)
                VALUES (@name, @role, @hash, @scram, 0, 0, @at, @at) ON CONFLICT (name) DO NOTHING
                """,
                ("name", user.Name), ("role", RoleText(user.Role)), ("hash", user.PasswordHash), ("scram", user.ScramVerifier), ("at", Millis(user.CreatedAt)));
            return await command.ExecuteNonQueryAsync(ct) == 1;
        }, cancellationToken);

    public Task<TeamUser?> GetUserAsync(string name, CancellationToken cancellationToken) =>
        database.ReadAsync(async (c, ct) => (await UsersAsync(c, "WHERE name = @name", ct, ("name", name))).FirstOrDefault(), cancellationToken);

    public Task<IReadOnlyList<TeamUser>> ListUsersAsync(CancellationToken cancellationToken) =>
        database.ReadAsync(async (c, ct) => (IReadOnlyList<TeamUser>)await UsersAsync(c, "ORDER BY name", ct), cancellationToken);

    private async Task<List<TeamUser>> UsersAsync(DbConnection connection, string tail, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, $"SELECT name, role, password_hash, disabled, failed_attempts, locked_at, created_at, scram_verifier FROM {T("users")} {tail}", parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var users = new List<TeamUser>();
        while (await reader.ReadAsync(cancellationToken))
        {
            users.Add(new TeamUser
            {
                Name = reader.GetString(0),
                Role = ParseRole(reader.GetString(1)),
                PasswordHash = reader.GetString(2),
                Disabled = Convert.ToInt64(reader.GetValue(3), CultureInfo.InvariantCulture) != 0,
                FailedAttempts = Convert.ToInt32(reader.GetValue(4), CultureInfo.InvariantCulture),
                LockedAt = AtOrNull(reader.GetValue(5)),
                CreatedAt = At(reader.GetValue(6)),
                ScramVerifier = reader.GetValue(7) as string,
            });
        }

        return users;
    }

    /// <summary>Disables or enables someone; disabling also revokes every token they hold.</summary>
    /// <returns>false if there is no such person.</returns>
    public Task<bool> SetDisabledAsync(string name, bool disabled, DateTimeOffset now, CancellationToken cancellationToken) =>
        database.WriteAsync(async (c, ct) =>
        {
            await using var command = Command(c, $"UPDATE {T("users")} SET disabled = @disabled WHERE name = @name", ("disabled", disabled ? 1L : 0L), ("name", name));
            var found = await command.ExecuteNonQueryAsync(ct) == 1;
            if (found && disabled)
            {
                await RevokeAllAsync(c, name, now, ct);
            }

            return found;
        }, cancellationToken);

    /// <summary>Sets a new password hash, clears a lock-out, and revokes every token the person holds.</summary>
    public Task<bool> SetPasswordAsync(string name, string passwordHash, string? scramVerifier, DateTimeOffset now, CancellationToken cancellationToken) =>
        database.WriteAsync(async (c, ct) =>
        {
            await using var command = Command(c,
                $"UPDATE {T("users")} SET password_hash = @hash, scram_verifier = @scram, failed_attempts = 0, locked_at = NULL, password_changed_at = @at WHERE name = @name",
                ("hash", passwordHash), ("scram", scramVerifier), ("at", Millis(now)), ("name", name));
            var found = await command.ExecuteNonQueryAsync(ct) == 1;
            if (found)
            {
                await RevokeAllAsync(c, name, now, ct);
            }

            return found;
        }, cancellationToken);

    /// <summary>Counts a failed sign-in, and locks the person out when it is the <paramref name="lockAfter"/>-th in a row.</summary>
    /// <returns>the failures in a row, and whether the account is now locked.</returns>
    public Task<(int Failures, bool Locked)> RecordFailedSignInAsync(string name, int lockAfter, DateTimeOffset now, CancellationToken cancellationToken) =>
        database.WriteAsync(async (c, ct) =>
        {
            await using var command = Command(c,
                $"""
                UPDATE {T("users")} SET failed_attempts = failed_attempts + 1,
                    locked_at = CASE WHEN locked_at IS NULL AND failed_attempts + 1 >= @after THEN @at ELSE locked_at END
                WHERE name = @name RETURNING failed_attempts, locked_at
                """,
                ("after", (long)lockAfter), ("at", Millis(now)), ("name", name));
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct)
                ? (Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture), reader.GetValue(1) is not DBNull)
                : (0, false);
        }, cancellationToken);

    public Task RecordGoodSignInAsync(string name, CancellationToken cancellationToken) =>
        database.WriteAsync(async (c, ct) =>
        {
            await using var command = Command(c, $"UPDATE {T("users")} SET failed_attempts = 0 WHERE name = @name", ("name", name));
            return await command.ExecuteNonQueryAsync(ct);
        }, cancellationToken);

    /// <param name="scramVerifier">the token's SCRAM verifier, with its user's salt and iterations (for the proxy); null when the user has none.</param>
    public Task AddTokenAsync(string tokenHash, string user, DateTimeOffset created, DateTimeOffset expires, string? client, CancellationToken cancellationToken, string? scramVerifier = null) =>
        database.WriteAsync(async (c, ct) =>
        {
            await using var command = Command(c,
                $"INSERT INTO {T("tokens")} (hash, user_name, created_at, expires_at, client, scram_verifier) VALUES (@hash, @user, @created, @expires, @client, @scram)",
                ("hash", tokenHash), ("user", user), ("created", Millis(created)), ("expires", Millis(expires)), ("client", client), ("scram", scramVerifier));
            return await command.ExecuteNonQueryAsync(ct);
        }, cancellationToken);

    /// <summary>The token with this hash: whose it is, when it expires, and whether it was revoked; null if unknown.</summary>
    public Task<(string User, DateTimeOffset Expires, bool Revoked)?> FindTokenAsync(string tokenHash, CancellationToken cancellationToken) =>
        database.ReadAsync<(string, DateTimeOffset, bool)?>(async (c, ct) =>
        {
            await using var command = Command(c, $"SELECT user_name, expires_at, revoked_at FROM {T("tokens")} WHERE hash = @hash", ("hash", tokenHash));
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? (reader.GetString(0), At(reader.GetValue(1)), reader.GetValue(2) is not DBNull) : null;
        }, cancellationToken);

    /// <summary>The SCRAM verifiers of the person's tokens that are neither revoked nor expired (for the proxy).</summary>
    public Task<IReadOnlyList<string>> LiveTokenVerifiersAsync(string user, DateTimeOffset now, CancellationToken cancellationToken) =>
        database.ReadAsync(async (c, ct) =>
        {
            await using var command = Command(c,
                $"SELECT scram_verifier FROM {T("tokens")} WHERE user_name = @user AND revoked_at IS NULL AND expires_at > @now AND scram_verifier IS NOT NULL",
                ("user", user), ("now", Millis(now)));
            await using var reader = await command.ExecuteReaderAsync(ct);
            var verifiers = new List<string>();
            while (await reader.ReadAsync(ct))
            {
                verifiers.Add(reader.GetString(0));
            }

            return (IReadOnlyList<string>)verifiers;
        }, cancellationToken);

    /// <returns>false if no such token was live.</returns>
    public Task<bool> RevokeTokenAsync(string tokenHash, DateTimeOffset now, CancellationToken cancellationToken) =>
        database.WriteAsync(async (c, ct) =>
        {
            await using var command = Command(c, $"UPDATE {T("tokens")} SET revoked_at = @at WHERE hash = @hash AND revoked_at IS NULL", ("at", Millis(now)), ("hash", tokenHash));
            return await command.ExecuteNonQueryAsync(ct) == 1;
        }, cancellationToken);

    /// <returns>how many live tokens were revoked.</returns>
    public Task<int> RevokeAllTokensAsync(string user, DateTimeOffset now, CancellationToken cancellationToken) =>
        database.WriteAsync((c, ct) => RevokeAllAsync(c, user, now, ct), cancellationToken);

    private async Task<int> RevokeAllAsync(DbConnection connection, string user, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, $"UPDATE {T("tokens")} SET revoked_at = @at WHERE user_name = @user AND revoked_at IS NULL", ("at", Millis(now)), ("user", user));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<long> AddRequestAsync(ApprovalRequest request, CancellationToken cancellationToken) =>
        database.WriteAsync(async (c, ct) =>
        {
            await using var command = Command(c,
                $"""
                INSERT INTO {T("approval_requests")} (change_id, environment, system_identifier, database, database_oid, script_sha256, impact, requester,
                    allow_all_rows, required_approvals, kind, reason, staged_runs, status, created_at, expires_at)
                VALUES (@change, @environment, @system, @database, @oid, @sha, @impact, @requester, @all, @required, @kind, @reason, @staged, @status, @created, @expires)
                RETURNING id
                """,
                ("change", request.ChangeId), ("environment", request.Environment), ("system", request.SystemIdentifier), ("database", request.Database),
                ("oid", request.DatabaseOid is { } oid ? (long)oid : null), ("sha", request.ScriptSha256), ("impact", JsonSerializer.Serialize(request.Impact, Json)),
                ("requester", request.Requester), ("all", request.AllowAllRows ? 1L : 0L), ("required", (long)request.RequiredApprovals), ("kind", request.Kind),
                ("reason", request.Reason), ("staged", request.StagedRuns), ("status", StatusText(request.Status)), ("created", Millis(request.CreatedAt)),
                ("expires", Millis(request.ExpiresAt)));
            return Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
        }, cancellationToken);

    public Task<ApprovalRequest?> GetRequestAsync(long id, CancellationToken cancellationToken) =>
        database.ReadAsync(async (c, ct) => (await RequestsAsync(c, "WHERE id = @id", ct, ("id", id))).FirstOrDefault(), cancellationToken);

    /// <summary>Newest first; with <paramref name="openOnly"/>, only requests still waiting (open, or approved and not yet run).</summary>
    /// <summary>
    /// The newest approved, not yet executed approval request of <paramref name="requester"/> for exactly this script on
    /// this environment (the proxy's re-sent statement); null when there is none. Whether it is still within its
    /// execution window is the caller's to check (<see cref="ApprovalRequest.StatusAt"/>).
    /// </summary>
    public Task<ApprovalRequest?> FindApprovedAsync(string environment, string requester, string scriptSha256, CancellationToken cancellationToken) =>
        database.ReadAsync(async (c, ct) => (await RequestsAsync(c,
                "WHERE status = 'approved' AND environment = @environment AND requester = @requester AND script_sha256 = @sha AND kind = 'approval' ORDER BY id DESC LIMIT 1",
                ct, ("environment", environment), ("requester", requester), ("sha", scriptSha256))).FirstOrDefault(), cancellationToken);

    public Task<IReadOnlyList<ApprovalRequest>> ListRequestsAsync(string? environment, bool openOnly, int limit, CancellationToken cancellationToken) =>
        database.ReadAsync(async (c, ct) =>
        {
            var where = new List<string>();
            if (environment is not null)
            {
                where.Add("environment = @environment");
            }

            if (openOnly)
            {
                where.Add("status IN ('open', 'approved')");
            }

            var clause = (where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where)) + " ORDER BY id DESC LIMIT @limit";
            return (IReadOnlyList<ApprovalRequest>)await RequestsAsync(c, clause, ct, ("environment", environment), ("limit", (long)limit));
        }, cancellationToken);

    private async Task<List<ApprovalRequest>> RequestsAsync(DbConnection connection, string tail, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        var requests = new List<ApprovalRequest>();
        await using (var command = Command(connection,
            $"""
            SELECT id, change_id, environment, system_identifier, database, database_oid, script_sha256, impact, requester, allow_all_rows, required_approvals,
                kind, reason, staged_runs, status, created_at, expires_at, approved_at, execute_by, executed_at, closed_reason
            FROM {T("approval_requests")} {tail}
            """, parameters))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                requests.Add(new ApprovalRequest
                {
                    Id = Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture),
                    ChangeId = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture),
                    Environment = reader.GetString(2),
                    SystemIdentifier = reader.GetString(3),
                    Database = reader.GetString(4),
                    DatabaseOid = reader.GetValue(5) is DBNull ? null : Convert.ToUInt32(reader.GetValue(5), CultureInfo.InvariantCulture),
                    ScriptSha256 = reader.GetString(6),
                    Impact = JsonSerializer.Deserialize<List<TableCount>>(reader.GetString(7), Json) ?? [],
                    Requester = reader.GetString(8),
                    AllowAllRows = Convert.ToInt64(reader.GetValue(9), CultureInfo.InvariantCulture) != 0,
                    RequiredApprovals = Convert.ToInt32(reader.GetValue(10), CultureInfo.InvariantCulture),
                    Kind = reader.GetString(11),
                    Reason = reader.GetValue(12) as string,
                    StagedRuns = reader.GetValue(13) as string,
                    Status = ParseStatus(reader.GetString(14)),
                    CreatedAt = At(reader.GetValue(15)),
                    ExpiresAt = At(reader.GetValue(16)),
                    ApprovedAt = AtOrNull(reader.GetValue(17)),
                    ExecuteBy = AtOrNull(reader.GetValue(18)),
                    ExecutedAt = AtOrNull(reader.GetValue(19)),
                    ClosedReason = reader.GetValue(20) as string,
                });
            }
        }

        if (requests.Count == 0)
        {
            return requests;
        }

        var votes = new Dictionary<long, List<ApprovalVote>>();
        var ids = string.Join(", ", requests.Select(r => r.Id.ToString(CultureInfo.InvariantCulture)));
        await using (var command = Command(connection, $"SELECT request_id, voter, decision, reason, at FROM {T("approval_votes")} WHERE request_id IN ({ids}) ORDER BY at"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture);
                (votes.TryGetValue(id, out var list) ? list : votes[id] = []).Add(
                    new ApprovalVote(reader.GetString(1), reader.GetString(2) == "approve", reader.GetValue(3) as string, At(reader.GetValue(4))));
            }
        }

        return requests.Select(r => r with { Votes = votes.GetValueOrDefault(r.Id) ?? [] }).ToList();
    }

    /// <summary>
    /// Records one person's approval or rejection of an open request, in one transaction that also closes the request
    /// when this vote decides it: a rejection rejects it; the approval that reaches the required count approves it and
    /// opens its window to be executed, until <paramref name="executeWindow"/> from now.
    /// </summary>
    /// <returns>the status after the vote; null if the request was no longer open or this person had voted on it already.</returns>
    public Task<ApprovalStatus?> VoteAsync(long id, ApprovalVote vote, TimeSpan executeWindow, CancellationToken cancellationToken) =>
        database.WriteAsync<ApprovalStatus?>(async (c, ct) =>
        {
            // Taking the row first serializes the votes on one request (PostgreSQL: a row lock; SQLite: the write lock).
            await using (var touch = Command(c, $"UPDATE {T("approval_requests")} SET status = status WHERE id = @id AND status = 'open' AND expires_at >= @now",
                ("id", id), ("now", Millis(vote.At))))
            {
                if (await touch.ExecuteNonQueryAsync(ct) != 1)
                {
                    return null;
                }
            }

            await using (var insert = Command(c,
                $"INSERT INTO {T("approval_votes")} (request_id, voter, decision, reason, at) VALUES (@id, @voter, @decision, @reason, @at) ON CONFLICT DO NOTHING",
                ("id", id), ("voter", vote.Voter), ("decision", vote.Approved ? "approve" : "reject"), ("reason", vote.Reason), ("at", Millis(vote.At))))
            {
                if (await insert.ExecuteNonQueryAsync(ct) != 1)
                {
                    return null;
                }
            }

            if (!vote.Approved)
            {
                await using var reject = Command(c, $"UPDATE {T("approval_requests")} SET status = 'rejected', closed_reason = @reason WHERE id = @id",
                    ("reason", $"rejected by {vote.Voter}: {vote.Reason}"), ("id", id));
                await reject.ExecuteNonQueryAsync(ct);
                return ApprovalStatus.Rejected;
            }

            await using var approve = Command(c,
                $"""
                UPDATE {T("approval_requests")} SET status = 'approved', approved_at = @at, execute_by = @by
                WHERE id = @id AND required_approvals <= (SELECT count(*) FROM {T("approval_votes")} v WHERE v.request_id = @id AND v.decision = 'approve')
                """,
                ("at", Millis(vote.At)), ("by", Millis(vote.At + executeWindow)), ("id", id));
            return await approve.ExecuteNonQueryAsync(ct) == 1 ? ApprovalStatus.Approved : ApprovalStatus.Open;
        }, cancellationToken);

    /// <summary>Marks a break-glass run as reviewed by someone other than the person who ran it.</summary>
    public Task<bool> ReviewAsync(long id, ApprovalVote vote, CancellationToken cancellationToken) =>
        database.WriteAsync(async (c, ct) =>
        {
            await using var command = Command(c,
                $"UPDATE {T("approval_requests")} SET status = 'reviewed', closed_reason = @reason WHERE id = @id AND kind = 'post-review' AND status = 'open'",
                ("reason", $"reviewed by {vote.Voter}" + (vote.Reason is null ? "" : ": " + vote.Reason)), ("id", id));
            if (await command.ExecuteNonQueryAsync(ct) != 1)
            {
                return false;
            }

            await using var insert = Command(c,
                $"INSERT INTO {T("approval_votes")} (request_id, voter, decision, reason, at) VALUES (@id, @voter, 'approve', @reason, @at)",
                ("id", id), ("voter", vote.Voter), ("reason", vote.Reason), ("at", Millis(vote.At)));
            await insert.ExecuteNonQueryAsync(ct);
            return true;
        }, cancellationToken);

    /// <summary>
    /// Claims an approved request for its one execution: exactly one caller, in any server process, gets true, and
    /// only while the execution window is open. Replays and late executions get false.
    /// </summary>
    public Task<bool> ClaimForExecutionAsync(long id, DateTimeOffset now, CancellationToken cancellationToken) =>
        database.WriteAsync(async (c, ct) =>
        {
            await using var command = Command(c,
                $"UPDATE {T("approval_requests")} SET status = 'executed', executed_at = @now WHERE id = @id AND status = 'approved' AND execute_by >= @now",
                ("now", Millis(now)), ("id", id));
            return await command.ExecuteNonQueryAsync(ct) == 1;
        }, cancellationToken);

    /// <summary>Closes a request that was refused at execution (its script or impact no longer what was approved).</summary>
    public Task CloseAsync(long id, string reason, CancellationToken cancellationToken) =>
        database.WriteAsync(async (c, ct) =>
        {
            await using var command = Command(c, $"UPDATE {T("approval_requests")} SET closed_reason = @reason WHERE id = @id", ("reason", reason), ("id", id));
            return await command.ExecuteNonQueryAsync(ct);
        }, cancellationToken);

    private static string RoleText(TeamRole role) => role.ToString().ToLowerInvariant();

    public static TeamRole ParseRole(string text) => Enum.TryParse<TeamRole>(text, ignoreCase: true, out var role) && Enum.IsDefined(role)
        ? role
        : throw new Configuration.ConfigException($"unknown role '{text}'; a role is requester, approver or admin");

    private static string StatusText(ApprovalStatus status) => status.ToString().ToLowerInvariant();

    private static ApprovalStatus ParseStatus(string text) => Enum.TryParse<ApprovalStatus>(text, ignoreCase: true, out var status) ? status : ApprovalStatus.Expired;
}
