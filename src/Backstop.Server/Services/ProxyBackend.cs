using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Backstop.Core.Audit;
using Backstop.Core.Capture;
using Backstop.Core.Guard;
using Backstop.Core.State;
using Backstop.Core.Team;
using Backstop.Postgres.Catalog;
using Backstop.Proxy.Sessions;
using Npgsql;

namespace Backstop.Server.Services;

/// <summary>The proxy's view of the server (docs/proxy.md): people and verifiers, environments, approvals, changes, audit.</summary>
public sealed class ProxyBackend(ServerContext server) : IProxyBackend
{
    private readonly ConcurrentDictionary<string, ProxyTarget> _targets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<ServerIdentity>>> _identities = new(StringComparer.Ordinal);

    public async Task<ProxyUser?> FindUserAsync(string name, CancellationToken cancellationToken)
    {
        var user = await server.Team.GetUserAsync(name, cancellationToken);
        if (user is null)
        {
            return null;
        }

        var tokens = (await server.Team.LiveTokenVerifiersAsync(name, server.Clock.GetUtcNow(), cancellationToken))
            .Select(ScramVerifier.TryParse).OfType<ScramVerifier>().ToList();
        return new ProxyUser(user.Name, user.Role, user.Disabled || user.LockedAt is not null,
            user.ScramVerifier is { } stored ? ScramVerifier.TryParse(stored) : null, tokens);
    }

    public ProxyTarget? FindEnvironment(string name)
    {
        if (_targets.TryGetValue(name, out var known))
        {
            return known;
        }

        var environment = server.Config.Environments.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.Ordinal));
        if (environment is null)
        {
            return null;
        }

        var url = server.Connector.ResolveUrl(environment);
        var connection = new NpgsqlConnectionStringBuilder(url.ToConnectionString());
        var target = new ProxyTarget
        {
            Environment = environment,
            Policy = server.Config.Policies[environment.Tier],
            Host = connection.Host!,
            Port = connection.Port,
            Database = connection.Database!,
            User = connection.Username ?? Environment.UserName,
            Password = connection.Password,
        };
        return _targets.GetOrAdd(name, target);
    }

    public async Task PrepareAsync(ProxyTarget target, CancellationToken cancellationToken)
    {
        var lazy = _identities.GetOrAdd(target.Name, _ => new Lazy<Task<ServerIdentity>>(() => ReadyAsync(target)));
        try
        {
            await lazy.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Not cached when it failed: the next session tries again.
            _identities.TryRemove(new KeyValuePair<string, Lazy<Task<ServerIdentity>>>(target.Name, lazy));
            throw;
        }
    }

    private async Task<ServerIdentity> ReadyAsync(ProxyTarget target)
    {
        await using var connected = await server.Connector.OpenAsync(target.Environment, CancellationToken.None);
        await StatementGuard.PrepareDatabaseAsync(connected.Connection, null, CancellationToken.None);
        return connected.Identity;
    }

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _installing = new(StringComparer.Ordinal);

    public void OfferPersistentCapture(ProxyTarget target, IReadOnlyList<(string Schema, string Name)> tables)
    {
        if (server.Settings.Proxy?.PersistentCapture == false || tables.Count == 0)
        {
            return;
        }

        // One at a time per environment, on a connection of its own: each CREATE TRIGGER commits by itself.
        var gate = _installing.GetOrAdd(target.Name, _ => new SemaphoreSlim(1, 1));
        _ = Task.Run(async () =>
        {
            await gate.WaitAsync();
            try
            {
                await using var connected = await server.Connector.OpenAsync(target.Environment, CancellationToken.None);
                var installed = await PersistentCapture.InstallAsync(connected.Connection, tables, CancellationToken.None);
                if (installed.Count > 0)
                {
                    await server.Audit.RecordAsync(new AuditEvent("backstop", "proxy", "persistent-capture", target.Name, string.Join(", ", installed), "ok",
                        new Dictionary<string, string> { ["tables"] = installed.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) }), CancellationToken.None);
                }
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException or TimeoutException)
            {
                // The measured way keeps working; the next kept write offers the tables again.
            }
            finally
            {
                gate.Release();
            }
        });
    }

    private readonly ConcurrentDictionary<string, StagedImages> _staged = new(StringComparer.Ordinal);

    public void MaterializeStagedImages(ProxyTarget target) =>
        _staged.GetOrAdd(target.Name, _ => new StagedImages(server, target)).Poke();

    /// <summary>
    /// One environment's background turning of staged images into tables: once the environment's people have kept
    /// nothing for <see cref="Quiet"/> (or <see cref="Longest"/> after the first image waited), in one call on a
    /// connection kept for it. Making an image table is DDL, a few times the cost of the write it keeps: done after
    /// every kept statement, it took the CPU the next statement needed. Staged images are committed with their change,
    /// and undo and retention turn what they need themselves, so waiting loses nothing.
    /// </summary>
    private sealed class StagedImages(ServerContext server, ProxyTarget target)
    {
        internal static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2);
        internal static readonly TimeSpan Longest = TimeSpan.FromSeconds(30);
        private const int Idle = 0, Running = 1, Again = 2;
        private int _state;
        private long _lastPoke;
        private Core.Environments.ConnectedEnvironment? _connected;

        public void Poke()
        {
            Interlocked.Exchange(ref _lastPoke, Environment.TickCount64);
            while (true)
            {
                switch (Volatile.Read(ref _state))
                {
                    case Idle when Interlocked.CompareExchange(ref _state, Running, Idle) == Idle:
                        _ = Task.Run(RunAsync);
                        return;
                    case Running when Interlocked.CompareExchange(ref _state, Again, Running) == Running:
                    case Again:
                        return;
                }
            }
        }

        private async Task RunAsync()
        {
            do
            {
                // Waits for a quiet moment, but not for ever.
                var first = Environment.TickCount64;
                while (Environment.TickCount64 - Interlocked.Read(ref _lastPoke) < Quiet.TotalMilliseconds
                       && Environment.TickCount64 - first < Longest.TotalMilliseconds)
                {
                    await Task.Delay(Quiet / 4);
                }

                try
                {
                    _connected ??= await server.Connector.OpenAsync(target.Environment, CancellationToken.None);
                    await PersistentCapture.MaterializeAsync(_connected.Connection, null, CancellationToken.None);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // The images stay staged, and are turned by the next poke, by undo, or by retention; a broken
                    // connection is opened anew next time.
                    if (_connected is { } broken)
                    {
                        _connected = null;
                        await broken.DisposeAsync();
                    }
                }
            }
            while (Interlocked.CompareExchange(ref _state, Idle, Running) != Running && Interlocked.Exchange(ref _state, Running) == Again);
        }
    }

    private async Task<ServerIdentity> IdentityAsync(ProxyTarget target)
    {
        await PrepareAsync(target, CancellationToken.None);
        return await _identities[target.Name].Value;
    }

    private readonly ConcurrentDictionary<string, (DateTimeOffset Read, Task<IReadOnlySet<string>> Names)> _volatile = new(StringComparer.Ordinal);

    /// <summary>How long the list of a database's volatile functions is used before it is read again.</summary>
    private static readonly TimeSpan VolatileFresh = TimeSpan.FromSeconds(10);

    public Task<IReadOnlySet<string>> VolatileFunctionsAsync(ProxyTarget target, CancellationToken cancellationToken)
    {
        var now = server.Clock.GetUtcNow();
        if (_volatile.TryGetValue(target.Name, out var cached) && now - cached.Read < VolatileFresh)
        {
            return cached.Names;
        }

        var reading = ReadVolatileAsync(target, cached.Names);
        _volatile[target.Name] = (now, reading);
        return reading;
    }

    private async Task<IReadOnlySet<string>> ReadVolatileAsync(ProxyTarget target, Task<IReadOnlySet<string>>? previous)
    {
        try
        {
            return await ReadVolatileAsync(target);
        }
        catch (Exception e) when (e is NpgsqlException or Core.Environments.ConnectionFailedException or TimeoutException)
        {
            // The list read last stays in use; none at all means no read is probed until the database answers again.
            return previous is { IsCompletedSuccessfully: true } ? previous.Result : new HashSet<string>();
        }
    }

    private async Task<IReadOnlySet<string>> ReadVolatileAsync(ProxyTarget target)
    {
        await using var connected = await server.Connector.OpenAsync(target.Environment, CancellationToken.None);
        await using var command = new NpgsqlCommand(
            """
            SELECT DISTINCT p.proname FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
            WHERE p.provolatile = 'v' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'backstop') AND n.nspname NOT LIKE 'pg\_%'
            """, connected.Connection);
        var names = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(CancellationToken.None);
        while (await reader.ReadAsync(CancellationToken.None))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    public async Task<bool> AuditAsync(IReadOnlyList<ProxyAuditEntry> entries, CancellationToken cancellationToken)
    {
        var records = entries.Select(e => new AuditRecord
        {
            Actor = e.User,
            From = e.Client,
            Action = e.Action,
            Environment = e.Environment.Length > 0 ? e.Environment : null,
            Object = e.Statement is null ? null : Truncate(e.Statement),
            Outcome = e.Outcome,
            Detail = e.Detail.Count > 0 ? e.Detail : null,
        }).ToList();
        await server.AuditLog.AppendAllAsync(records, cancellationToken);
        return true;
    }

    /// <summary>A statement's text as the audit log keeps it: whole up to 64 KiB, else its beginning and its SHA-256.</summary>
    private static string Truncate(string statement)
    {
        const int Limit = 64 * 1024;
        return statement.Length <= Limit
            ? statement
            : statement[..Limit] + $"… ({statement.Length:N0} characters, sha256 {Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(statement)))})";
    }

    public async Task<bool> AuditAvailableAsync(CancellationToken cancellationToken)
    {
        await server.AuditLog.LatestCheckpointAsync(cancellationToken);
        return true;
    }

    public async Task<long> RequestApprovalAsync(ProxyTarget target, string user, string statement, GuardOutcome outcome, CancellationToken cancellationToken)
    {
        var identity = await IdentityAsync(target);
        var now = server.Clock.GetUtcNow();
        var sha = Sha256(statement);
        var changeId = await server.Store.AddAsync(Record(target, identity, user, statement, outcome, now, null, ChangeOutcome.NeedsApproval) with
        {
            Message = "sent through the proxy; it runs when its author sends the same statement again after the approval",
        }, cancellationToken);
        var id = await server.Team.AddRequestAsync(new ApprovalRequest
        {
            ChangeId = changeId,
            Environment = target.Name,
            SystemIdentifier = identity.SystemIdentifier,
            Database = identity.Database,
            DatabaseOid = identity.DatabaseOid,
            ScriptSha256 = sha,
            Impact = Counts(outcome),
            Requester = user,
            RequiredApprovals = Math.Max(1, target.Policy.Approvals),
            Status = ApprovalStatus.Open,
            CreatedAt = now,
            ExpiresAt = now + server.Settings.ApprovalExpiry,
        }, cancellationToken);
        await server.Audit.RecordAsync(new AuditEvent(user, "proxy", "request", target.Name, $"change {changeId}", "ok", new Dictionary<string, string>
        {
            ["request"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["sha256"] = sha,
            ["via"] = "proxy",
        }), cancellationToken);
        await Notifications.ApprovalNotices.SendAsync(server, Core.Notifications.NotificationEvents.ApprovalRequested, id, user, null, CancellationToken.None);
        return id;
    }

    public async Task<ProxyApproval?> FindApprovalAsync(ProxyTarget target, string user, string statementSha256, CancellationToken cancellationToken)
    {
        var approved = await server.Team.FindApprovedAsync(target.Name, user, statementSha256, cancellationToken);
        return approved is not null && approved.StatusAt(server.Clock.GetUtcNow()) == ApprovalStatus.Approved && approved.ExecutedAt is null
            ? new ProxyApproval(approved.Id, approved.Impact)
            : null;
    }

    public async Task<bool> ClaimApprovalAsync(long requestId, CancellationToken cancellationToken)
    {
        var claimed = await server.Team.ClaimForExecutionAsync(requestId, server.Clock.GetUtcNow(), cancellationToken);
        if (claimed)
        {
            await server.Audit.RecordAsync(new AuditEvent("backstop", "proxy", "execute", null, $"request {requestId}", "ok",
                new Dictionary<string, string> { ["via"] = "proxy" }), cancellationToken);
        }

        return claimed;
    }

    public async Task<long> RecordChangeAsync(ProxyTarget target, string user, string statement, GuardOutcome outcome, DateTimeOffset startedAt, TimeSpan duration, CancellationToken cancellationToken)
    {
        var identity = await IdentityAsync(target);
        return await server.Store.AddAsync(Record(target, identity, user, statement, outcome, startedAt, duration, ChangeOutcome.Committed), cancellationToken);
    }

    // The state writes of kept statements, on a thread of their own: SQLite's are synchronous (and wait for the disk),
    // and on the thread pool they held up the continuations of the very statement being kept.
    private readonly StateWriter _writer = new();

    public Task<long> RecordRunningAsync(ProxyTarget target, string user, string statement, Guid changeId, DateTimeOffset startedAt, CancellationToken cancellationToken) =>
        _writer.Run(async () =>
        {
            var identity = await IdentityAsync(target);
            // Not judged yet: the verdict and the impact come with SettleChange.
            var running = new GuardOutcome { Verdict = Core.Policies.Verdict.Allow, Reasons = [], Impact = new Core.Preview.StatementImpact { Index = 0, CommandTag = "" }, Kept = false, ChangeId = changeId };
            return await server.Store.AddAsync(Record(target, identity, user, statement, running, startedAt, null, ChangeOutcome.Running) with
            {
                Impact = [],
                Message = "being guarded through the proxy",
            }, CancellationToken.None);
        });

    public void DiscardRunning(long id, ProxyTarget target) =>
        _ = _writer.Run(async () =>
        {
            try
            {
                await server.Store.DiscardRunningAsync(id, CancellationToken.None);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Console.Error.WriteLine($"backstop: could not remove the running record {id} of a statement on '{target.Name}' that was not kept ({e.Message}); `backstop changes` settles it as failed from the database's change log");
            }

            return 0L;
        });

    public void SettleChange(long id, ProxyTarget target, string user, string statement, GuardOutcome outcome, DateTimeOffset startedAt, TimeSpan duration, bool committed) =>
        _ = _writer.Run(async () =>
        {
            try
            {
                var identity = await IdentityAsync(target);
                var record = Record(target, identity, user, statement, outcome, startedAt, duration, committed ? ChangeOutcome.Committed : ChangeOutcome.Failed) with
                {
                    Id = id,
                    Message = committed ? null : "not kept: the guard's transaction did not commit; nothing of it was changed",
                };

                // Whatever the record says now: the server knows how it ended (a reconciliation that ran meanwhile may not).
                await server.Store.UpdateAsync(record, CancellationToken.None);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Console.Error.WriteLine($"backstop: could not record how change {id} on '{target.Name}' ended ({e.Message}); it stays recorded as running until `backstop changes` settles it from the database's change log");
            }

            return 0L;
        });

    /// <summary>Waits, up to <paramref name="limit"/>, for the changes being recorded and settled: the server's stop.</summary>
    public Task DrainAsync(TimeSpan limit) => Task.WhenAny(_writer.Run(() => Task.FromResult(0L)), Task.Delay(limit));

    /// <summary>One thread that runs state writes one after another, in the order given.</summary>
    private sealed class StateWriter
    {
        private readonly object _gate = new();
        private readonly Queue<Action> _work = new();
        private Thread? _thread;

        public Task<long> Run(Func<Task<long>> write)
        {
            var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                _work.Enqueue(() =>
                {
                    try
                    {
                        done.TrySetResult(write().GetAwaiter().GetResult());
                    }
                    catch (Exception e)
                    {
                        done.TrySetException(e);
                    }
                });
                if (_thread is null)
                {
                    _thread = new Thread(Loop) { IsBackground = true, Name = "backstop-state-writer" };
                    _thread.Start();
                }

                Monitor.Pulse(_gate);
            }

            return done.Task;
        }

        private void Loop()
        {
            while (true)
            {
                Action next;
                lock (_gate)
                {
                    while (_work.Count == 0)
                    {
                        Monitor.Wait(_gate);
                    }

                    next = _work.Dequeue();
                }

                next();
            }
        }
    }

    private static ChangeRecord Record(ProxyTarget target, ServerIdentity identity, string user, string statement, GuardOutcome outcome, DateTimeOffset startedAt, TimeSpan? duration, ChangeOutcome result) => new()
    {
        ChangeUuid = outcome.ChangeId ?? Guid.Empty,
        Environment = target.Name,
        SystemIdentifier = identity.SystemIdentifier,
        Database = identity.Database,
        Host = target.Host,
        Port = target.Port,
        Script = statement,
        ScriptSha256 = Sha256(statement),
        Verdict = outcome.Verdict,
        Reasons = outcome.Reasons.Select(r => r.Message).ToList(),
        Impact = [outcome.Impact],
        OsUser = user,
        StartedAt = startedAt,
        Duration = duration,
        Outcome = result,
    };

    private static List<TableCount> Counts(GuardOutcome outcome) =>
        outcome.Impact.Tables.GroupBy(t => t.QualifiedName, StringComparer.Ordinal)
            .Select(g => new TableCount(g.Key, g.Sum(t => t.Inserted), g.Sum(t => t.Updated), g.Sum(t => t.Deleted))).ToList();

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
