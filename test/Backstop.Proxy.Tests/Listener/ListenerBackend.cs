using System.Collections.Concurrent;
using Backstop.Core.Configuration;
using Backstop.Core.Guard;
using Backstop.Core.Policies;
using Backstop.Core.Team;
using Backstop.Proxy.Sessions;

namespace Backstop.Proxy.Tests.Listener;

/// <summary>
/// The server side the listener tests give a real <see cref="ProxyServer"/>: two users (alice, a person; app, a service
/// account), one development environment "dev" on a sandbox database, audit entries kept in memory. Approvals and
/// changes are never reached by these tests (they only read), so those members refuse.
/// </summary>
internal sealed class ListenerBackend(ProxyTarget dev) : IProxyBackend
{
    public const string AlicePassword = "correct horse battery staple";
    public const string AppPassword = "app password 1";

    /// <summary>Verifiers are made once per test process: PBKDF2 is the slow part of a sign-in.</summary>
    private static readonly ScramVerifier AliceVerifier = ScramVerifier.Create(AlicePassword);
    private static readonly ScramVerifier AppVerifier = ScramVerifier.Create(AppPassword);

    private readonly ConcurrentDictionary<string, ProxyUser> _users = new(StringComparer.Ordinal)
    {
        ["alice"] = new ProxyUser("alice", TeamRole.Requester, Disabled: false, AliceVerifier, []),
        ["app"] = new ProxyUser("app", TeamRole.Service, Disabled: false, AppVerifier, []),
    };

    private int _prepared;

    public ConcurrentQueue<ProxyAuditEntry> AuditEntries { get; } = new();

    public int Prepared => Volatile.Read(ref _prepared);

    /// <summary>Adds a user (for tests that need one more, e.g. a verifier as the server stores them).</summary>
    public void Add(ProxyUser user) => _users[user.Name] = user;

    public static ProxyTarget Target(string host, int port, string database, string user, string? password) => new()
    {
        Environment = new EnvironmentConfig { Name = "dev", Url = $"postgresql://{user}@{host}:{port}/{database}", Tier = Tier.Development },
        Policy = TierPolicy.Development,
        Host = host,
        Port = port,
        Database = database,
        User = user,
        Password = password,
    };

    public Task<ProxyUser?> FindUserAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(_users.TryGetValue(name, out var user) ? user : null);

    public ProxyTarget? FindEnvironment(string name) => name == dev.Name ? dev : null;

    public Task PrepareAsync(ProxyTarget target, CancellationToken cancellationToken)
    {
        // Reads never reach the statement guard, so the backstop schema is not needed in the sandbox database.
        Interlocked.Increment(ref _prepared);
        return Task.CompletedTask;
    }

    public Task<IReadOnlySet<string>> VolatileFunctionsAsync(ProxyTarget target, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlySet<string>>(new HashSet<string>());

    public Task<bool> AuditAsync(IReadOnlyList<ProxyAuditEntry> entries, CancellationToken cancellationToken)
    {
        foreach (var entry in entries)
        {
            AuditEntries.Enqueue(entry);
        }

        return Task.FromResult(true);
    }

    /// <summary>Whether the audit log answers; tests turn it off.</summary>
    public bool AuditUp { get; set; } = true;

    public Task<bool> AuditAvailableAsync(CancellationToken cancellationToken) => Task.FromResult(AuditUp);

    public Task<long> RequestApprovalAsync(ProxyTarget target, string user, string statement, GuardOutcome outcome, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the listener tests never write");

    public Task<ProxyApproval?> FindApprovalAsync(ProxyTarget target, string user, string statementSha256, CancellationToken cancellationToken) =>
        Task.FromResult<ProxyApproval?>(null);

    public Task<bool> ClaimApprovalAsync(long requestId, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the listener tests never write");

    public Task<long> RecordChangeAsync(ProxyTarget target, string user, string statement, GuardOutcome outcome, DateTimeOffset startedAt, TimeSpan duration, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the listener tests never write");

    public Task<long> RecordRunningAsync(ProxyTarget target, string user, string statement, Guid changeId, DateTimeOffset startedAt, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the listener tests never write");

    public void DiscardRunning(long id, ProxyTarget target) =>
        throw new NotSupportedException("the listener tests never write");

    public void SettleChange(long id, ProxyTarget target, string user, string statement, GuardOutcome outcome, DateTimeOffset startedAt, TimeSpan duration, bool committed) =>
        throw new NotSupportedException("the listener tests never write");

    public void OfferPersistentCapture(ProxyTarget target, IReadOnlyList<(string Schema, string Name)> tables) =>
        throw new NotSupportedException("the listener tests never write");

    public void MaterializeStagedImages(ProxyTarget target) =>
        throw new NotSupportedException("the listener tests never write");
}
