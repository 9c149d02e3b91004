namespace Backstop.Core.Guard;

/// <summary>
/// Who sends a guarded statement, and where: what the change log records of a kept statement and what the policy
/// weighs besides the statement itself. One per session; the proxy builds it from the signed-in user and the
/// environment the session reaches.
/// </summary>
public sealed record GuardContext
{
    /// <summary>The environment's name, recorded with the change and named in the policy's messages.</summary>
    public required string EnvironmentName { get; init; }

    /// <summary>The person (or service account) whose statement it is; recorded as the change's author.</summary>
    public required string Actor { get; init; }

    /// <summary>The environment's time zone, for the policy's freeze window.</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>Per database of the server, when its newest proven backup was taken (DROP DATABASE's rule).</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> ProvenBackups { get; init; } = new Dictionary<string, DateTimeOffset>();

    /// <summary>
    /// The client acknowledged this statement in its session (issue 16: <c>SET backstop.confirm = 'NAME'</c>): a
    /// statement whose verdict is confirm is kept. Approve and deny are never satisfied here, since an approval binds
    /// a statement's impact as well, which is the lifecycle's to check.
    /// </summary>
    public bool Confirmed { get; init; }

    /// <summary>
    /// The per-table impact another person approved for exactly this statement (issue 16: the proxy found an approved
    /// request of this user for this text): a statement whose verdict is approve is kept when no table's inserted,
    /// updated or deleted rows exceed these and it touches no other table. Null: no approval; approve is refused.
    /// </summary>
    public IReadOnlyList<Team.TableCount>? ApprovedImpact { get; init; }

    /// <summary>
    /// The connection is outside any transaction (a client in autocommit), and the guard opens one for the statement and
    /// ends it: committed when the statement is kept, rolled back when not. The one-run way sends BEGIN and COMMIT in
    /// its own batches, so autocommit costs no round trip of its own. False: the caller's transaction, left open.
    /// </summary>
    public bool Autocommit { get; init; }

    /// <summary>The user says a statement without WHERE is meant (<c>--allow-all-rows</c>).</summary>
    public bool AllowAllRows { get; init; }

    /// <summary>
    /// The state store's number for the change, when the caller recorded it before guarding; 0 when it has none yet
    /// (the proxy records a kept statement once the client's transaction commits). Only the change log keeps it.
    /// </summary>
    public long LocalId { get; init; }

    /// <summary>
    /// The id the statement's change gets if it is kept, chosen by the caller beforehand; a new one when null. The proxy
    /// records the change as running under it before it guards, so that its state store is written while the database
    /// runs the statement, not after. Whichever way keeps the statement uses it: a way that gave up first rolled back
    /// everything it wrote under it.
    /// </summary>
    public Guid? ChangeId { get; init; }
}
