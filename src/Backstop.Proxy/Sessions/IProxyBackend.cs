using Backstop.Core.Configuration;
using Backstop.Core.Guard;
using Backstop.Core.Policies;
using Backstop.Core.Team;

namespace Backstop.Proxy.Sessions;

/// <summary>
/// What the proxy needs of the server that hosts it: the people and their verifiers, the environments and their
/// credentials, approvals, the change log and the audit log. <c>Backstop.Server</c> implements it over the state store;
/// the proxy itself keeps no state beyond its sessions.
/// </summary>
public interface IProxyBackend
{
    /// <summary>The Backstop user a client names in its startup packet; null when there is none.</summary>
    Task<ProxyUser?> FindUserAsync(string name, CancellationToken cancellationToken);

    /// <summary>The environment a client names as its database; null when there is none.</summary>
    ProxyTarget? FindEnvironment(string name);

    /// <summary>
    /// Readies an environment for guarded sessions, once per process: its identity read, and the <c>backstop</c> schema
    /// at this Backstop's version (its migrations commit on their own, which a client's transaction cannot).
    /// </summary>
    Task PrepareAsync(ProxyTarget target, CancellationToken cancellationToken);

    /// <summary>
    /// The names of the environment's volatile functions outside PostgreSQL's own schemas (lower case as stored): a read
    /// that calls one may write. Cached briefly; never waits on the database while the cache is fresh.
    /// </summary>
    Task<IReadOnlySet<string>> VolatileFunctionsAsync(ProxyTarget target, CancellationToken cancellationToken);

    /// <summary>Writes a batch of audit entries; false when the audit log cannot be written.</summary>
    Task<bool> AuditAsync(IReadOnlyList<ProxyAuditEntry> entries, CancellationToken cancellationToken);

    /// <summary>Whether the audit log can be written now (checked before a session starts).</summary>
    Task<bool> AuditAvailableAsync(CancellationToken cancellationToken);

    /// <summary>Records a statement that needs approval as a request bound to its text and measured impact; returns its id.</summary>
    Task<long> RequestApprovalAsync(ProxyTarget target, string user, string statement, GuardOutcome outcome, CancellationToken cancellationToken);

    /// <summary>An approved request of this user for exactly this statement (SHA-256 of its text), still within its execution window.</summary>
    Task<ProxyApproval?> FindApprovalAsync(ProxyTarget target, string user, string statementSha256, CancellationToken cancellationToken);

    /// <summary>Marks an approved request executed, once; false when another session got there first.</summary>
    Task<bool> ClaimApprovalAsync(long requestId, CancellationToken cancellationToken);

    /// <summary>
    /// A person's write was kept the measured way (<see cref="GuardOutcome.OneRun"/> false): these tables it wrote may
    /// get persistent row capture, in the background, so that the next write there runs once. Never waits.
    /// </summary>
    void OfferPersistentCapture(ProxyTarget target, IReadOnlyList<(string Schema, string Name)> tables);

    /// <summary>
    /// A change kept the one-run way committed: its staged images become image tables in the background (capture
    /// migration 0006, <c>backstop.guard_materialize_all</c>), coalesced per environment. Never waits.
    /// </summary>
    void MaterializeStagedImages(ProxyTarget target);

    /// <summary>Records a kept statement, once its transaction committed, as a change of the user that undo takes back; returns its id.</summary>
    Task<long> RecordChangeAsync(ProxyTarget target, string user, string statement, GuardOutcome outcome, DateTimeOffset startedAt, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>
    /// Records a statement about to be guarded in a transaction of the guard's own as a running change
    /// (<c>ChangeOutcome.Running</c>) under <paramref name="changeId"/>, the id it gets if it is kept, while the database
    /// runs it; returns its record's id. <see cref="SettleChange"/> says how it ended, <see cref="DiscardRunning"/>
    /// removes it when it was not kept. Should the server stop before either, the change is settled from the target's
    /// change log (<c>ChangeReconciler</c>), as a CLI run's is. Called on the guard's flow: must return at once and write
    /// elsewhere.
    /// </summary>
    Task<long> RecordRunningAsync(ProxyTarget target, string user, string statement, Guid changeId, DateTimeOffset startedAt, CancellationToken cancellationToken);

    /// <summary>Removes a running record of <see cref="RecordRunningAsync"/> whose statement was not kept; in the background, as <see cref="SettleChange"/>.</summary>
    void DiscardRunning(long id, ProxyTarget target);

    /// <summary>
    /// Settles a change recorded as running: committed or not, with how long the statement took; in the background,
    /// in the order settled. Never waits; a failure is logged, and the change is settled from the target's change log.
    /// </summary>
    void SettleChange(long id, ProxyTarget target, string user, string statement, GuardOutcome outcome, DateTimeOffset startedAt, TimeSpan duration, bool committed);
}

/// <summary>A Backstop user as the proxy authenticates them.</summary>
public sealed record ProxyUser(string Name, TeamRole Role, bool Disabled, ScramVerifier? Verifier, IReadOnlyList<ScramVerifier> Tokens)
{
    /// <summary>A service account's session gets the static guard; everyone else's the inline guard.</summary>
    public bool IsPerson => Role != TeamRole.Service;
}

/// <summary>An approval the proxy found for a statement.</summary>
public sealed record ProxyApproval(long RequestId, IReadOnlyList<TableCount> Impact);

/// <summary>One environment as the proxy reaches it. The password is never part of its text.</summary>
public sealed class ProxyTarget
{
    public required EnvironmentConfig Environment { get; init; }

    public required TierPolicy Policy { get; init; }

    public required string Host { get; init; }

    public required int Port { get; init; }

    public required string Database { get; init; }

    public required string User { get; init; }

    /// <summary>The environment's password, sent only to its server; null for trust or peer authentication.</summary>
    public string? Password { get; init; }

    /// <summary>Per database, when its newest proven backup was taken (DROP DATABASE's rule).</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> ProvenBackups { get; init; } = new Dictionary<string, DateTimeOffset>();

    public string Name => Environment.Name;

    public override string ToString() => $"{Name} ({Host}:{Port}/{Database})";
}

/// <summary>One statement of a session, for the audit log.</summary>
public sealed record ProxyAuditEntry
{
    public required string User { get; init; }

    public required string Environment { get; init; }

    public required string Client { get; init; }

    /// <summary>proxy.statement, proxy.session, proxy.refused, ….</summary>
    public required string Action { get; init; }

    public required string Outcome { get; init; }

    public string? Statement { get; init; }

    public IReadOnlyDictionary<string, string> Detail { get; init; } = new Dictionary<string, string>();

    public required DateTimeOffset At { get; init; }
}
