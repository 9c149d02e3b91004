using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Backstop.Core.Configuration;
using Backstop.Core.Guard;
using Backstop.Proxy.Guarding;
using Backstop.Proxy.Protocol;
using Backstop.Proxy.Protocol.Backend;
using Backstop.Proxy.Protocol.Frontend;

namespace Backstop.Proxy.Sessions;

/// <summary>
/// The PostgreSQL protocol listener of <c>backstop server</c> (docs/proxy.md): accepts clients, caps connections in
/// all and per user, routes CancelRequests to the session whose key they carry, and writes the sessions' audit entries
/// in batches, off their path.
/// </summary>
public sealed class ProxyServer : IAsyncDisposable
{
    private const int AuditBatch = 1000;

    private readonly ConcurrentDictionary<int, ProxySession> _sessions = new();
    private readonly ConcurrentDictionary<string, int> _perUser = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StatementGuard> _guards = new(StringComparer.Ordinal);
    private readonly Channel<ProxyAuditEntry> _audit = Channel.CreateBounded<ProxyAuditEntry>(new BoundedChannelOptions(200_000)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private readonly CancellationTokenSource _stop = new();
    private readonly Action<string>? _log;
    private TcpListener? _listener;
    private Task? _accepting;
    private Task? _auditing;
    private int _connections;
    private volatile bool _auditHealthy = true;
    private long _auditDropped;

    public ProxyServer(ProxySettings settings, IProxyBackend backend, X509Certificate2? certificate, TimeProvider clock, Action<string>? log = null)
    {
        Settings = settings;
        Backend = backend;
        Certificate = certificate;
        Clock = clock;
        _log = log;
    }

    public ProxySettings Settings { get; }

    public IProxyBackend Backend { get; }

    public X509Certificate2? Certificate { get; }

    public TimeProvider Clock { get; }

    internal ProtocolLimits Limits { get; } = ProtocolLimits.Default;

    /// <summary>Salts for unknown users' mock SCRAM exchanges: stable for this process, unknown outside it.</summary>
    internal byte[] MockSecret { get; } = RandomNumberGenerator.GetBytes(32);

    internal GuardBridge Bridge { get; } = new();

    /// <summary>Where the listener is bound (with the real port when the configuration said 0).</summary>
    public IPEndPoint? Endpoint => _listener?.LocalEndpoint as IPEndPoint;

    /// <summary>Client connections open now.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Audit entries that could not even be queued (the queue was full); the proxy refuses sessions then.</summary>
    public long AuditDropped => Interlocked.Read(ref _auditDropped);

    public void Start()
    {
        var (address, port) = ParseListen(Settings.Listen);
        _listener = new TcpListener(address, port);
        _listener.Server.NoDelay = true;
        _listener.Start(512);
        _accepting = AcceptAsync();
        _auditing = WriteAuditAsync();
    }

    public static (IPAddress Address, int Port) ParseListen(string listen)
    {
        var colon = listen.LastIndexOf(':');
        var host = listen[..colon].Trim('[', ']');
        var port = int.Parse(listen[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        return (host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(host), port);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener!.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            socket.NoDelay = true;
            if (Interlocked.Increment(ref _connections) > Settings.MaxConnections)
            {
                Interlocked.Decrement(ref _connections);
                _ = RefuseAsync(socket, $"too many connections to Backstop's proxy (server.proxy.max_connections is {Settings.MaxConnections})");
                continue;
            }

            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var session = new ProxySession(this, socket);
        try
        {
            await session.RunAsync(_stop.Token);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One client's failure is its own: logged without what it sent, and the listener goes on.
            _log?.Invoke($"proxy session from {socket.RemoteEndPoint} ended with {e}");
        }
        finally
        {
            Interlocked.Decrement(ref _connections);
            if (_sessions.TryRemove(KeyValuePair.Create(session.ProcessKey, session)) && session.UserName is { } user)
            {
                _perUser.AddOrUpdate(user, 0, (_, n) => Math.Max(0, n - 1));
            }
        }
    }

    private static async Task RefuseAsync(Socket socket, string message)
    {
        using (socket)
        {
            try
            {
                var writer = new ProtocolWriter();
                ErrorResponse.Fatal("53300", message).WriteTo(writer);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await socket.SendAsync(writer.WrittenMemory, SocketFlags.None, timeout.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Registers a signed-in session, within its user's cap; false when the user has as many as allowed.</summary>
    internal bool TryAdmit(ProxySession session)
    {
        var user = session.UserName!;
        while (true)
        {
            var count = _perUser.GetOrAdd(user, 0);
            if (count >= Settings.MaxConnectionsPerUser)
            {
                return false;
            }

            if (_perUser.TryUpdate(user, count + 1, count))
            {
                break;
            }
        }

        while (!_sessions.TryAdd(session.ProcessKey, session))
        {
            // Process keys are random; a clash is retried by the caller's next connection, never shared.
            _perUser.AddOrUpdate(user, 0, (_, n) => Math.Max(0, n - 1));
            return false;
        }

        return true;
    }

    /// <summary>A CancelRequest from a client: sent on to the upstream backend of the session whose key it names, if the secret matches.</summary>
    internal async Task CancelAsync(CancelRequest request)
    {
        if (_sessions.TryGetValue(request.ProcessId, out var session)
            && CryptographicOperations.FixedTimeEquals(session.SecretKey, request.SecretKey))
        {
            try
            {
                await session.CancelAsync();
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
            {
                _log?.Invoke($"a cancel request could not reach the upstream server: {e.Message}");
            }
        }
    }

    internal void Log(string message) => _log?.Invoke(message);

    internal StatementGuard Guard(ProxyTarget target) => _guards.GetOrAdd(target.Name, _ => new StatementGuard(target.Policy, Clock));

    /// <summary>Queues an audit entry; never waits. A full queue marks the audit log unhealthy.</summary>
    internal void Audit(ProxyAuditEntry entry)
    {
        if (!_audit.Writer.TryWrite(entry))
        {
            Interlocked.Increment(ref _auditDropped);
            _auditHealthy = false;
        }
    }

    /// <summary>Whether this user's session may start: person sessions only with a working audit log.</summary>
    internal async Task<bool> AuditAvailableAsync(ProxyUser user, CancellationToken cancellationToken)
    {
        if (!user.IsPerson && Settings.ServiceSessionsWithoutAudit)
        {
            return true;
        }

        // Asked at every session's start (one small read of the state store): a cached "yes" would let sessions start
        // unaudited for as long as it is believed.
        bool available;
        try
        {
            available = await Backend.AuditAvailableAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            available = false;
        }

        return available && _auditHealthy;
    }

    private async Task WriteAuditAsync()
    {
        var batch = new List<ProxyAuditEntry>(AuditBatch);
        var reader = _audit.Reader;
        try
        {
            while (await reader.WaitToReadAsync(CancellationToken.None))
            {
                while (batch.Count < AuditBatch && reader.TryRead(out var entry))
                {
                    batch.Add(entry);
                }

                var delay = TimeSpan.FromMilliseconds(250);
                while (true)
                {
                    bool written;
                    try
                    {
                        written = await Backend.AuditAsync(batch, CancellationToken.None);
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        _log?.Invoke($"the proxy could not write {batch.Count} audit entries: {e.Message}");
                        written = false;
                    }

                    if (written)
                    {
                        _auditHealthy = true;
                        break;
                    }

                    _auditHealthy = false;
                    if (_stop.IsCancellationRequested && reader.Completion.IsCompleted)
                    {
                        return;
                    }

                    // Kept and tried again, with back-off: the entries wait in memory, sessions are not stalled.
                    await Task.Delay(delay);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
                }

                batch.Clear();
            }
        }
        catch (ChannelClosedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener?.Stop();
        if (_accepting is not null)
        {
            await _accepting;
        }

        // Sessions end with the process; what they queued is written before the audit writer stops.
        var deadline = Task.Delay(TimeSpan.FromSeconds(5));
        while (Connections > 0 && !deadline.IsCompleted)
        {
            await Task.Delay(20);
        }

        _audit.Writer.TryComplete();
        if (_auditing is not null)
        {
            await Task.WhenAny(_auditing, Task.Delay(TimeSpan.FromSeconds(10)));
        }

        await Bridge.DisposeAsync();
        _stop.Dispose();
    }
}
