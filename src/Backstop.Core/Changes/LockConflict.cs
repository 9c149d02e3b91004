using System.Globalization;
using System.Text.RegularExpressions;
using Backstop.Core.Environments;
using Backstop.Core.Preview;
using Backstop.Core.State;
using Backstop.Postgres;
using Npgsql;

namespace Backstop.Core.Changes;

/// <summary>
/// Describes a change that met another one: it waited longer than <c>lock_timeout</c> (SQLSTATE 55P03,
/// lock_not_available) or PostgreSQL chose it as a deadlock's victim (40P01, deadlock_detected). PostgreSQL's own
/// message names neither the table (for a table lock) nor the other session (that is in the DETAIL, which Npgsql
/// redacts), so Backstop looks for itself, through a second connection, right after the failure: it reads
/// <c>pg_locks</c> for the sessions that hold a lock on the tables the change works on, and for those still waiting for
/// the change (<c>pg_blocking_pids</c>). PostgreSQL releases the failed transaction's locks at the error, not at the
/// ROLLBACK, so the other side of a deadlock is usually found by the locks it still holds, its transaction being open.
/// A session named
/// <c>backstop:&lt;uuid&gt;</c> (<see cref="ChangeReconciler.MarkSessionAsync"/>) is a Backstop change; the state
/// store gives its number. Docs: "Lock Management" (lock_timeout, deadlock_timeout), "pg_locks", "Appendix A. PostgreSQL
/// Error Codes".
/// </summary>
public static partial class LockConflict
{
    private const string SessionPrefix = "backstop:";

    /// <summary>The describing never holds a failed command up for long.</summary>
    private static readonly TimeSpan LookLimit = TimeSpan.FromSeconds(5);

    /// <summary>The PostgreSQL error if <paramref name="failure"/> is a lost lock wait or a deadlock, else null.</summary>
    public static PostgresException? ErrorOf(Exception failure)
    {
        for (Exception? e = failure; e is not null; e = e.InnerException)
        {
            var error = e is StatementFailedException statement ? statement.Error : e as PostgresException;
            if (error?.SqlState is PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.DeadlockDetected)
            {
                return error;
            }
        }

        return null;
    }

    /// <summary>
    /// Null unless <paramref name="failure"/> is a lost lock wait or a deadlock. Call it as soon as the failure is caught:
    /// the sooner, the likelier the other side still holds its locks. Never throws for what it could not find out: it
    /// then says less.
    /// </summary>
    /// <param name="impacts">the preview's impact: the tables the change works on.</param>
    public static async Task<LockConflictException?> DescribeAsync(
        ConnectedEnvironment target, Exception failure, IReadOnlyList<StatementImpact> impacts, IStateStore store, CancellationToken cancellationToken)
    {
        if (ErrorOf(failure) is not { } error)
        {
            return null;
        }

        var statement = (failure as StatementFailedException)?.Statement;
        var tables = impacts.SelectMany(i => i.Tables).Select(t => PgIdentifier.Quote(t.Schema, t.Name))
            .Concat(statement?.Info.Targets.Select(t => PgIdentifier.Quote(t.Schema, t.Name)) ?? [])
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var waitedAt = RowWaitRelation().Match(error.Where ?? "") is { Success: true } match ? match.Groups["name"].Value : null;
        var sessions = await OtherSessionsAsync(target, tables, waitedAt, cancellationToken);

        // Sessions that only read a table (ACCESS SHARE) are named only when nobody more likely is there.
        var others = sessions.Any(o => o.WaitsForUs || o.HoldsMoreThanARead) ? sessions.Where(o => o.WaitsForUs || o.HoldsMoreThanARead).ToList() : sessions;
        var named = new List<string>();
        foreach (var other in others.Take(3))
        {
            named.Add(await NameAsync(other, store, cancellationToken));
        }

        var where = statement is null ? "the change" : $"statement {statement.Index + 1} at {statement.Location}";
        var on = Tables(others, waitedAt);
        var message = error.SqlState == PostgresErrorCodes.DeadlockDetected
            ? $"{where} deadlocked with {(named.Count == 0 ? "another session" : string.Join(" and ", named))}{(on is null ? "" : " over " + on)}: " +
              "each waited for a lock the other held, and PostgreSQL cancelled this change so the other could go on; nothing was changed; retry"
            : $"{where} waited {Format(target.Environment.LockTimeout)} (lock_timeout) for a lock{(on is null ? "" : " on " + on)} and gave up: " +
              $"{(named.Count == 0 ? "another session held it" : string.Join(" and ", named) + " held it")}; nothing was changed; retry";
        return new LockConflictException(message, failure);
    }

    private static async Task<IReadOnlyList<OtherSession>> OtherSessionsAsync(ConnectedEnvironment target, List<string> tables, string? waitedAt, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(LookLimit);
        try
        {
            var (connection, _) = await EnvironmentConnector.ConnectAsync(target.Environment.Name, target.Url, limit.Token);
            await using (connection)
            {
                // The tables: those the change works on, and the one named in a row-lock wait's context; the sessions:
                // those holding a lock on one of them, and those waiting for this change (the other side of a deadlock).
                await using var command = new NpgsqlCommand(
                    """
                    WITH wanted AS (
                        SELECT to_regclass(name) AS oid FROM unnest(@tables::text[]) AS name
                        UNION
                        SELECT c.oid FROM pg_class c WHERE c.relname = @waited_at
                    )
                    SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, ''), coalesce(a.state, ''),
                           bool_or(@ours = ANY (pg_blocking_pids(a.pid))) AS waits_for_us,
                           array_remove(array_agg(DISTINCT CASE WHEN l.relation IN (SELECT oid FROM wanted) OR NOT l.granted
                               THEN format('%I.%I', n.nspname, c.relname) END), NULL) AS tables,
                           bool_or(l.granted AND l.mode <> 'AccessShareLock') AS holds_more_than_a_read
                    FROM pg_locks l
                    JOIN pg_stat_activity a ON a.pid = l.pid
                    LEFT JOIN pg_class c ON c.oid = l.relation
                    LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE l.locktype = 'relation'
                      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                      AND l.pid NOT IN (@ours, pg_backend_pid())
                      AND (l.relation IN (SELECT oid FROM wanted) OR @ours = ANY (pg_blocking_pids(a.pid)))
                    GROUP BY a.pid, a.application_name, a.usename, a.state
                    ORDER BY waits_for_us DESC, holds_more_than_a_read DESC, a.pid
                    """, connection);
                command.Parameters.AddWithValue("tables", tables.ToArray());
                command.Parameters.AddWithValue("waited_at", (object?)waitedAt ?? DBNull.Value).NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Name;
                command.Parameters.AddWithValue("ours", target.Connection.ProcessID);
                var sessions = new List<OtherSession>();
                await using var reader = await command.ExecuteReaderAsync(limit.Token);
                while (await reader.ReadAsync(limit.Token))
                {
                    sessions.Add(new OtherSession(
                        reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetBoolean(4), reader.GetFieldValue<string[]>(5), !reader.IsDBNull(6) && reader.GetBoolean(6)));
                }

                return sessions;
            }
        }
        catch (Exception e) when (e is NpgsqlException or ConnectionFailedException or OperationCanceledException or TimeoutException)
        {
            // What the error itself says is still worth saying.
            return [];
        }
    }

    private static async Task<string> NameAsync(OtherSession session, IStateStore store, CancellationToken cancellationToken)
    {
        var state = session.State switch
        {
            "idle in transaction" => ", idle in an open transaction",
            "active" => ", running a statement",
            "" => "",
            var other => ", " + other,
        };
        if (session.ApplicationName.StartsWith(SessionPrefix, StringComparison.Ordinal)
            && Guid.TryParseExact(session.ApplicationName[SessionPrefix.Length..], "N", out var uuid))
        {
            try
            {
                return await store.FindIdAsync(uuid, cancellationToken) is { } id
                    ? $"Backstop change {id.ToString(CultureInfo.InvariantCulture)} (session {session.Pid}{state})"
                    : $"a Backstop change recorded in another state file (session {session.Pid}, {session.ApplicationName}{state})";
            }
            catch (IOException)
            {
                return $"a Backstop change (session {session.Pid}, {session.ApplicationName}{state})";
            }
        }

        var application = session.ApplicationName.Length == 0 ? "" : $", application '{session.ApplicationName}'";
        return $"session {session.Pid} (user {session.User}{application}{state})";
    }

    /// <summary>The tables to name: where the other sessions' locks met the change's, else the one a row wait names.</summary>
    private static string? Tables(IReadOnlyList<OtherSession> others, string? waitedAt)
    {
        var tables = others.Take(3).SelectMany(o => o.Tables).Distinct(StringComparer.Ordinal).ToList();
        if (tables.Count > 0)
        {
            return string.Join(", ", tables);
        }

        return waitedAt;
    }

    private static string Format(TimeSpan duration) =>
        duration.TotalMilliseconds % 1000 == 0
            ? ((long)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s"
            : ((long)duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";

    /// <summary>The context PostgreSQL adds to a wait for a row lock: "while updating tuple (0,1) in relation "t"".</summary>
    [GeneratedRegex("in relation \"(?<name>.*)\"", RegexOptions.CultureInvariant)]
    private static partial Regex RowWaitRelation();

    private sealed record OtherSession(int Pid, string ApplicationName, string User, string State, bool WaitsForUs, string[] Tables, bool HoldsMoreThanARead);
}
