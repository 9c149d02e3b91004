using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Backstop.Core.Changes;
using Backstop.Core.Guard;
using Backstop.Core.Policies;
using Backstop.Core.Preview;
using Backstop.Proxy.Authentication;
using Backstop.Proxy.Guarding;
using Backstop.Proxy.Protocol;
using Backstop.Proxy.Protocol.Backend;
using Backstop.Proxy.Protocol.Frontend;
using Backstop.Proxy.Startup;
using Backstop.Proxy.Upstream;
using Backstop.Sql;
using Backstop.Sql.Classification;
using Backstop.Sql.Splitting;
using Npgsql;
using ProtocolViolationException = Backstop.Proxy.Protocol.ProtocolViolationException;

namespace Backstop.Proxy.Sessions;

/// <summary>
/// One client connection through the proxy (session mode: one upstream connection per client): startup, TLS, SCRAM as
/// a Backstop user, the upstream connection with the environment's credentials, then the relay, with the static guard
/// on a service account's statements and the inline guard on a person's writes (docs/proxy.md).
/// </summary>
/// <remarks>
/// The relay reads the client and the upstream server at once, so that what the server sends unasked (NOTIFY, NOTICE,
/// ParameterStatus) reaches an idle client. It keeps count of what the server still owes (a completion per Parse, Bind,
/// Describe, Close and Execute, a ReadyForQuery per Sync and Query), which is how it knows, before guarding a statement,
/// that everything the client sent earlier has been answered. Where the proxy refuses a statement as sent, it sends the
/// server a statement that fails to parse in its place and answers the client with its own error where the server's
/// would be: the server then aborts the transaction and discards until Sync exactly as it does for its own errors.
/// </remarks>
internal sealed partial class ProxySession : IBridgedUpstream, IWireSession
{
    private const string MarkerPrefix = "backstop_refusal_";

    private readonly ProxyServer _server;
    private readonly Socket _socket;
    private readonly string _peer;
    private readonly MessageReader _clientMessages;
    private readonly MessageReader _serverMessages = new(ProtocolLimits.Default);
    private readonly ArrayBufferWriter<byte> _toClient = new(8192);

    /// <summary>Where the server's answers for the client go: <see cref="_toClient"/>, or a probe's buffer until it is judged.</summary>
    private ArrayBufferWriter<byte> _out;
    private readonly ArrayBufferWriter<byte> _toServer = new(8192);
    private UpstreamWire? _wire;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _parameters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PreparedStatement> _statements = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BoundPortal> _portals = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ErrorResponse> _markers = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentQueue<AuditPending> _awaiting = new();

    /// <summary>ReadyForQuery messages owed, counted across the two pumps of a service session (idle means none).</summary>
    private int _owed;

    /// <summary>When a service session last read from its client or its server (Environment.TickCount64).</summary>
    private long _lastActivity;

    /// <summary>Queries, Syncs and FunctionCalls sent on, and ReadyForQuery messages received: an audit entry waits for the ReadyForQuery of its own.</summary>
    private long _sent;
    private long _received;
    private readonly List<(string Statement, GuardOutcome Outcome, DateTimeOffset Started, TimeSpan Duration)> _uncommitted = [];
    private (NpgsqlConnection Connection, BridgeLease Lease)? _bridged;
    private readonly List<(string Statement, GuardOutcome Outcome, DateTimeOffset Started, TimeSpan Duration)> _committed = [];

    private Stream _client = null!;
    private RelaySocketStream _clientSocket = null!;
    private PipeReader _clientReader = null!;
    private UpstreamConnection _upstream = null!;
    private ProxyUser _user = null!;
    private ProxyTarget _target = null!;
    private TransactionStatus _status = TransactionStatus.Idle;
    private Task<ReadResult>? _serverRead;

    /// <summary>What the server owes a person's session, in order (null in a service session, whose two pumps run at once).</summary>
    private ReplyLedger? _ledger;

    /// <summary>The proxy used the unnamed statement since the client last parsed it: parsed again before the client uses it.</summary>
    private bool _unnamedTaken;

    /// <summary>A guard used the unnamed statement at least once in this session.</summary>
    private bool _guardTookUnnamed;

    /// <summary>A statement executed since the last Sync may have begun or ended a transaction (or is not known).</summary>
    private bool _openMayEndTransaction;

    /// <summary>The last thing sent upstream was a guard's, ending with its Sync: a Sync of the client's now changes nothing there.</summary>
    private bool _readyKnown;

    /// <summary>The proxy reported an error in the extended protocol and discards the client's messages until Sync.</summary>
    private bool _discarding;

    /// <summary>An error reached the client during the current simple query.</summary>
    private bool _errorSeen;

    private string? _lastTag;

    /// <summary>A ReadyForQuery held back until the changes its transaction committed are recorded (their notices first).</summary>
    private byte[]? _heldReady;

    private IReadOnlySet<string> _volatileFunctions = new HashSet<string>();
    private string? _confirmation;

    public ProxySession(ProxyServer server, Socket socket)
    {
        _server = server;
        _socket = socket;
        _peer = socket.RemoteEndPoint?.ToString() ?? "unknown";
        _clientMessages = new MessageReader(server.Limits);
        _out = _toClient;
        ProcessKey = RandomNumberGenerator.GetInt32(1, int.MaxValue);
        SecretKey = RandomNumberGenerator.GetBytes(4);
    }

    /// <summary>The BackendKeyData the client gets: the proxy's own, which routes its CancelRequest to this session.</summary>
    public int ProcessKey { get; }

    public byte[] SecretKey { get; }

    public string? UserName => _user?.Name;

    IEnumerable<(string Name, string Value)> IBridgedUpstream.Parameters => _parameters.Select(p => (p.Key, p.Value));

    TransactionStatus IBridgedUpstream.Status => _status;

    PipeReader IBridgedUpstream.Reader => _upstream.Reader;

    Stream IBridgedUpstream.Writer => _upstream.Stream;

    void IBridgedUpstream.Observe(byte code, ReadOnlySequence<byte> payload)
    {
        if (code == (byte)BackendMessageCode.ReadyForQuery)
        {
            _status = ReadyForQuery.Read(payload).Status;
        }
        else if (code == (byte)BackendMessageCode.ParameterStatus)
        {
            var parameter = ParameterStatus.Read(payload);
            _parameters[parameter.Name] = parameter.Value;
        }
    }

    bool IWireSession.Owed => _ledger is { Quiet: false };

    bool IWireSession.Relay(in MessageFrame frame)
    {
        OnServerMessage(frame);
        return frame.Code == (byte)BackendMessageCode.ErrorResponse;
    }

    void IWireSession.Observe(byte code, ReadOnlySequence<byte> payload) => ((IBridgedUpstream)this).Observe(code, payload);

    void IWireSession.Notify(in MessageFrame frame) => Frames.Copy(frame, _toClient);

    async ValueTask IWireSession.SendAsync(ReadOnlyMemory<byte> bytes)
    {
        _toServer.Write(bytes.Span);
        await FlushServerAsync();
    }

    async ValueTask<ReadResult> IWireSession.ReadAsync()
    {
        // The relay's read in flight, if any, is taken over rather than cancelled: whatever it brings is read in turn.
        var pending = _serverRead;
        _serverRead = null;
        return pending is null ? await _upstream.Reader.ReadAsync(CancellationToken.None) : await pending;
    }

    void IWireSession.AdvanceTo(SequencePosition consumed, SequencePosition examined) => _upstream.Reader.AdvanceTo(consumed, examined);

    /// <summary>Sends the upstream backend a CancelRequest for whatever this session runs now.</summary>
    public async Task CancelAsync()
    {
        if (_upstream?.Key is not { } key)
        {
            return;
        }

        using var socket = _target.Host.StartsWith('/')
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        if (_target.Host.StartsWith('/'))
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(Path.Combine(_target.Host, $".s.PGSQL.{_target.Port}")), timeout.Token);
        }
        else
        {
            await socket.ConnectAsync(_target.Host, _target.Port, timeout.Token);
        }

        var writer = new ProtocolWriter();
        new CancelRequest(key.ProcessId, key.SecretKey).WriteTo(writer);
        await socket.SendAsync(writer.WrittenMemory, SocketFlags.None, timeout.Token);
        socket.Shutdown(SocketShutdown.Both);
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        var network = new RelaySocketStream(_socket);
        _client = network;
        _clientSocket = network;
        try
        {
            using (var signIn = CancellationTokenSource.CreateLinkedTokenSource(stopping))
            {
                signIn.CancelAfter(_server.Settings.AuthenticationTimeout);
                if (!await StartAsync(network, signIn.Token))
                {
                    return;
                }
            }

            _server.Audit(Entry("proxy.session", "ok", null, new() { ["kind"] = _user.IsPerson ? "person" : "service", ["client"] = _parameters.GetValueOrDefault("application_name", "") }));
            if (_user.IsPerson)
            {
                // A person's relay reads the client and the server at once (and lends the server to the guard): from here
                // on both sockets wait asynchronously. A service session's stay blocking (RelaySocketStream says why).
                _clientSocket.GoAsync();
                _upstream.Stream.GoAsync();
                await RelayAsync(stopping);
            }
            else if (RelayLoop.Available)
            {
                // A service session's two sockets wait on one of the proxy's event loops (RelayLoop says why).
                var loop = RelayLoop.Next();
                _clientSocket.GoLoop(loop);
                _upstream.Stream.GoLoop(loop);
                await RelayServiceAsync(onLoop: true, stopping);
            }
            else
            {
                await RelayServiceAsync(onLoop: false, stopping);
            }
        }
        catch (ProtocolViolationException violation)
        {
            await TrySendAsync(ErrorResponse.Fatal(violation.SqlState, violation.Message));
        }
        catch (UpstreamException e)
        {
            await TrySendAsync(ErrorResponse.Fatal("08006", $"the proxy lost its connection to the {_target?.Name} environment's server: {e.Message}"));
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested && _user is null)
        {
            await TrySendAsync(ErrorResponse.Fatal("08006", "authentication timed out"));
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
        {
            // The client went away, timed out, or failed its TLS handshake: its own failure, nothing to report.
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A fault of the proxy's own ends this session only, and says so: the client sees FATAL, the log the cause.
            _server.Log($"proxy session of {_user?.Name ?? "a client"} from {_peer} failed: {e}");
            await TrySendAsync(ErrorResponse.Fatal("XX000", $"Backstop's proxy failed on this session ({e.GetType().Name}); the server's log says why"));
        }
        finally
        {
            if (_user is not null && _target is not null)
            {
                _server.Audit(Entry("proxy.session.end", "ok", null));
            }

            await CloseBridgedAsync();
            if (_upstream is not null)
            {
                await _upstream.DisposeAsync();
            }

            if (_clientReader is not null)
            {
                await _clientReader.CompleteAsync();
            }

            await _client.DisposeAsync();
        }
    }

    // ---------------------------------------------------------------- startup

    private async Task<bool> StartAsync(RelaySocketStream network, CancellationToken cancellationToken)
    {
        var tls = _server.Certificate is not null;
        var negotiator = new StartupNegotiator(new StartupOptions { TlsAvailable = tls, RequireTls = _server.Settings.RequireTls });
        _clientReader = PipeReader.Create(network, new StreamPipeReaderOptions(leaveOpen: true));
        StartupStep.Start? start = null;
        while (start is null)
        {
            var result = await _clientReader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var step = negotiator.Next(ref buffer);
            _clientReader.AdvanceTo(buffer.Start, buffer.End);
            switch (step)
            {
                case StartupStep.NeedMoreData when result.IsCompleted:
                    return false;
                case StartupStep.NeedMoreData:
                    continue;
                case StartupStep.AnswerEncryptionRequest answer:
                    await _client.WriteAsync(new[] { answer.Response }, cancellationToken);
                    if (answer.StartTls)
                    {
                        await _clientReader.CompleteAsync();
                        var ssl = new SslStream(network, leaveInnerStreamOpen: false);
                        await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _server.Certificate }, cancellationToken);
                        _client = ssl;
                        _clientReader = PipeReader.Create(ssl, new StreamPipeReaderOptions(leaveOpen: true));
                        negotiator.TlsEstablished();
                    }

                    continue;
                case StartupStep.Refuse refuse:
                    await SendAsync(refuse.Error, cancellationToken);
                    return false;
                case StartupStep.Cancel cancel:
                    await _server.CancelAsync(cancel.Request);
                    return false;
                case StartupStep.Start begun:
                    start = begun;
                    break;
            }
        }

        var writer = new ProtocolWriter();
        start.Negotiation?.WriteTo(writer);
        if (writer.WrittenSpan.Length > 0)
        {
            await _client.WriteAsync(writer.WrittenMemory, cancellationToken);
        }

        if (!await AuthenticateAsync(start.User, cancellationToken))
        {
            return false;
        }

        var target = _server.Backend.FindEnvironment(start.Database);
        if (target is null)
        {
            await SendAsync(ErrorResponse.Fatal("3D000", $"database \"{start.Database}\" does not exist",
                hint: "Through Backstop's proxy the database name is the environment's name in backstop.yaml"), cancellationToken);
            return false;
        }

        _target = target;
        if (_user.IsPerson)
        {
            await _server.Backend.PrepareAsync(target, cancellationToken);
        }

        if (!await _server.AuditAvailableAsync(_user, cancellationToken))
        {
            await SendAsync(ErrorResponse.Fatal(ProxySqlStates.AuditUnavailable, "the audit log cannot be written, so no session starts",
                hint: "Check the server's state store; sessions start again once it answers"), cancellationToken);
            return false;
        }

        if (!_server.TryAdmit(this))
        {
            await SendAsync(ErrorResponse.Fatal("53300", $"too many connections for user \"{_user.Name}\"",
                detail: $"server.proxy.max_connections_per_user is {_server.Settings.MaxConnectionsPerUser}"), cancellationToken);
            return false;
        }

        var parameters = start.Message.Parameters
            .Where(p => p.Key is not ("user" or "database" or "replication" or "options") && !p.Key.StartsWith("_pq_.", StringComparison.Ordinal))
            .ToList();
        _upstream = await UpstreamConnection.ConnectAsync(target.Host, target.Port, target.Database, target.User, target.Password, parameters, ProtocolLimits.Default, cancellationToken);
        writer.Clear();
        AuthenticationOk.Instance.WriteTo(writer);
        foreach (var parameter in _upstream.Parameters)
        {
            _parameters[parameter.Name] = parameter.Value;
            parameter.WriteTo(writer);
        }

        new BackendKeyData(ProcessKey, SecretKey).WriteTo(writer);
        _status = _upstream.Status;
        new ReadyForQuery(_status).WriteTo(writer);
        await _client.WriteAsync(writer.WrittenMemory, cancellationToken);
        return true;
    }

    private async Task<bool> AuthenticateAsync(string name, CancellationToken cancellationToken)
    {
        var user = await _server.Backend.FindUserAsync(name, cancellationToken);
        var usable = user is { Disabled: false, Verifier: not null };
        var exchange = usable
            ? ScramServerExchange.ForUser(user!.Verifier!, user.Tokens)
            : ScramServerExchange.ForUnknownUser(name, _server.MockSecret, Backstop.Core.Team.TeamUser.ScramIterations);
        var writer = new ProtocolWriter();
        new AuthenticationSasl(ScramServerExchange.Mechanisms).WriteTo(writer);
        await _client.WriteAsync(writer.WrittenMemory, cancellationToken);
        writer.Clear();

        var initial = await ReadAuthenticationAsync(frame => SaslInitialResponse.Read(frame.Payload), cancellationToken);
        new AuthenticationSaslContinue(exchange.HandleInitialResponse(initial)).WriteTo(writer);
        await _client.WriteAsync(writer.WrittenMemory, cancellationToken);
        writer.Clear();

        var final = await ReadAuthenticationAsync(frame => SaslResponse.Read(frame.Payload), cancellationToken);
        var outcome = exchange.HandleClientFinal(final.Data);
        if (!outcome.Authenticated || !usable)
        {
            _server.Audit(new ProxyAuditEntry
            {
                User = name, Environment = "", Client = _peer, Action = "proxy.signin.failed", Outcome = "failed", At = _server.Clock.GetUtcNow(),
                Detail = new Dictionary<string, string> { ["reason"] = user is null ? "unknown user" : user.Disabled ? "disabled" : user.Verifier is null ? "no SCRAM verifier" : "wrong password" },
            });
            await SendAsync(AuthenticationFailure.PasswordFailed(name), cancellationToken);
            return false;
        }

        new AuthenticationSaslFinal(outcome.ServerFinalMessage!).WriteTo(writer);
        await _client.WriteAsync(writer.WrittenMemory, cancellationToken);
        _user = user!;
        return true;
    }

    private async Task<T> ReadAuthenticationAsync<T>(Func<MessageFrame, T> decode, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _clientReader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (MessageReader.TryReadAuthentication(ref buffer, out var frame))
            {
                var message = decode(frame);
                _clientReader.AdvanceTo(buffer.Start);
                return message;
            }

            _clientReader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                throw new IOException("the client closed the connection during authentication");
            }
        }
    }

    // ---------------------------------------------------------------- relay

    private async Task RelayAsync(CancellationToken stopping)
    {
        _ledger = new ReplyLedger();
        Task<ReadResult>? clientRead = null;
        var idle = _server.Settings.IdleTimeout;
        var idleOver = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var idleTimer = new Timer(_ => idleOver.TrySetResult());
        while (true)
        {
            clientRead ??= _clientReader.ReadAsync(stopping).AsTask();
            _serverRead ??= _upstream.Reader.ReadAsync(CancellationToken.None).AsTask();
            // Idle is a session that owes the server nothing and has sent nothing for server.proxy.idle_timeout.
            idleTimer.Change(idle > TimeSpan.Zero && _ledger!.Quiet ? idle : Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            var first = await Task.WhenAny(clientRead, _serverRead, idleOver.Task);
            if (first == _serverRead)
            {
                var server = await _serverRead;
                _serverRead = null;
                ProcessServer(server);
                await RecordCommittedAsync();
                await FlushClientAsync();
                continue;
            }

            if (first != clientRead)
            {
                await TrySendAsync(ErrorResponse.Fatal("57P05", "terminating connection due to idle timeout", detail: $"server.proxy.idle_timeout is {idle}"));
                return;
            }

            var result = await clientRead;
            clientRead = null;
            var buffer = result.Buffer;
            var terminate = false;
            try
            {
                while (!terminate && _clientMessages.TryReadFrontend(ref buffer, out var frame))
                {
                    terminate = !await HandleClientAsync(frame);
                }
            }
            finally
            {
                _clientReader.AdvanceTo(buffer.Start, buffer.End);
            }

            await FlushServerAsync();
            await FlushClientAsync();
            if (terminate || result.IsCompleted)
            {
                return;
            }
        }
    }

    /// <summary>
    /// A service account's session: nothing is guarded inline, so the two directions are pumped at once, each on its
    /// own, as a pooler does; refusals still go through the server (a statement that fails to parse), so order holds.
    /// On Linux both pumps wait on a <see cref="RelayLoop"/>, and each continues on the loop's thread when its socket is
    /// ready: nothing in a service session's pumps waits for anything else. Elsewhere each pump is a thread of its own
    /// in blocking reads and writes (RelaySocketStream). Stopping one pump cancels the other's read, which ends it.
    /// </summary>
    private async Task RelayServiceAsync(bool onLoop, CancellationToken stopping)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var fromServer = onLoop ? PumpServerAsync(stop.Token) : OnOwnThread(() => PumpServerAsync(stop.Token));
        var fromClient = onLoop ? PumpClientAsync(stop.Token) : OnOwnThread(() => PumpClientAsync(stop.Token));

        // The pumps end on the loop's thread; the session's ending (audit, closing, the last error) continues off it.
        var first = await Task.WhenAny(fromServer, fromClient).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        await stop.CancelAsync();
        _upstream.Reader.CancelPendingRead();
        _clientReader.CancelPendingRead();
        try
        {
            await Task.WhenAll(fromServer, fromClient);
        }
        catch (Exception) when (first.IsCompletedSuccessfully || first.IsFaulted)
        {
            // The pump that ended second was stopped; what counts is why the first one ended.
        }

        if (await first == PumpEnd.Idle)
        {
            await TrySendAsync(ErrorResponse.Fatal("57P05", "terminating connection due to idle timeout", detail: $"server.proxy.idle_timeout is {_server.Settings.IdleTimeout}"));
        }
    }

    private static Task<PumpEnd> OnOwnThread(Func<Task<PumpEnd>> pump) =>
        Task.Factory.StartNew(() =>
        {
            RelaySocketStream.MayBlockThisThread();
            return pump();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    private enum PumpEnd
    {
        Closed,
        Idle,
    }

    private async Task<PumpEnd> PumpClientAsync(CancellationToken stop)
    {
        // Idleness is checked a few times per idle_timeout by a timer, not per read: a read then costs no timer of its own.
        var idle = _server.Settings.IdleTimeout;
        using var idleOver = CancellationTokenSource.CreateLinkedTokenSource(stop);
        Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);
        var idleMs = (long)idle.TotalMilliseconds;
        await using var idleCheck = new Timer(_ =>
        {
            if (Environment.TickCount64 - Interlocked.Read(ref _lastActivity) >= idleMs && Volatile.Read(ref _owed) == 0)
            {
                idleOver.Cancel();
            }
        });
        if (idle > TimeSpan.Zero)
        {
            var every = TimeSpan.FromTicks(Math.Max(idle.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks));
            idleCheck.Change(every, every);
        }

        while (true)
        {
            ReadResult result;
            try
            {
                result = await _clientReader.ReadAsync(idleOver.Token);
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                return PumpEnd.Idle;
            }

            Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);
            if (result.IsCanceled)
            {
                return PumpEnd.Closed;
            }

            var buffer = result.Buffer;
            var terminate = false;
            try
            {
                while (!terminate && _clientMessages.TryReadFrontend(ref buffer, out var frame))
                {
                    terminate = !await HandleClientAsync(frame);
                }
            }
            finally
            {
                _clientReader.AdvanceTo(buffer.Start, buffer.End);
            }

            await FlushServerAsync();
            if (terminate || result.IsCompleted)
            {
                return PumpEnd.Closed;
            }
        }
    }

    private async Task<PumpEnd> PumpServerAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var result = await _upstream.Reader.ReadAsync(CancellationToken.None);
            if (result.IsCanceled)
            {
                _upstream.Reader.AdvanceTo(result.Buffer.Start);
                return PumpEnd.Closed;
            }

            ProcessServer(result);
            await FlushClientAsync();
            // An answer ends idleness as well: a statement that ran for hours is not followed by an idle timeout.
            Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);
        }

        return PumpEnd.Closed;
    }

    /// <returns>false when the client said Terminate.</returns>
    private async Task<bool> HandleClientAsync(MessageFrame frame)
    {
        var code = (FrontendMessageCode)frame.Code;
        if (_discarding && code != FrontendMessageCode.Sync)
        {
            return code != FrontendMessageCode.Terminate;
        }

        if (code is not (FrontendMessageCode.Sync or FrontendMessageCode.Flush))
        {
            _readyKnown = false;
        }

        switch (code)
        {
            case FrontendMessageCode.Query:
                await HandleQueryAsync(frame);
                return true;
            case FrontendMessageCode.Parse:
                await HandleParseAsync(Parse.Read(frame.Payload), frame);
                return true;
            case FrontendMessageCode.Bind:
                if (!_user.IsPerson && BoundNames(frame.Payload) is var (portalName, statementName)
                    && _statements.TryGetValue(statementName, out var bound) && bound.Statements is { Count: 0 })
                {
                    // A service session's read: its values are not needed.
                    _portals[portalName] = new BoundPortal(statementName, null!);
                }
                else
                {
                    var bind = Bind.Read(frame.Payload);
                    _portals[bind.PortalName] = new BoundPortal(bind.StatementName, bind);
                    RestoreUnnamedStatement(bind.StatementName);
                }

                Forward(frame);
                _ledger?.Expect();
                return true;
            case FrontendMessageCode.Execute:
                await HandleExecuteAsync(frame);
                return true;
            case FrontendMessageCode.Describe:
                if (_unnamedTaken && Describe.Read(frame.Payload) is { Target: PortalOrStatement.Statement } described)
                {
                    RestoreUnnamedStatement(described.Name);
                }

                Forward(frame);
                _ledger?.Expect();
                return true;
            case FrontendMessageCode.Close:
                Forward(frame);
                _ledger?.Expect();
                return true;
            case FrontendMessageCode.Sync:
                _discarding = false;
                _openMayEndTransaction = false;
                Forward(frame);
                if (_readyKnown && _ledger is { Quiet: true })
                {
                    // Nothing reached the server since the guard's own Sync: its ReadyForQuery is known, and the
                    // client has it now, without waiting for the server's, which is not relayed.
                    _ledger.ExpectReady(own: true);
                    WriteClient(new ReadyForQuery(_status));
                }
                else
                {
                    _ledger?.ExpectReady();
                }

                _readyKnown = false;
                Interlocked.Increment(ref _owed);
                Interlocked.Increment(ref _sent);
                return true;
            case FrontendMessageCode.Flush:
                Forward(frame);
                return true;
            case FrontendMessageCode.FunctionCall when _user.IsPerson:
                // The fast-path interface calls a function by OID (large objects, mostly): nothing Backstop can guard.
                await QuietAsync();
                WriteClient(ErrorResponse.Error(ProxySqlStates.NotGuardable, "fast-path function calls are not taken through Backstop's guard",
                    hint: "Call the function with SELECT instead"));
                WriteClient(new ReadyForQuery(_status));
                return true;
            case FrontendMessageCode.FunctionCall:
                Forward(frame);
                _ledger?.ExpectReady(sync: false);
                Interlocked.Increment(ref _owed);
                Interlocked.Increment(ref _sent);
                return true;
            case FrontendMessageCode.Terminate:
                return false;
            default:
                // CopyData, CopyDone, CopyFail: COPY FROM STDIN's data, streamed on.
                Forward(frame);
                return true;
        }
    }

    private async Task HandleParseAsync(Parse parse, MessageFrame frame)
    {
        if (_user.IsPerson)
        {
            _volatileFunctions = await _server.Backend.VolatileFunctionsAsync(_target, CancellationToken.None);
        }

        var statements = SurelyReads(parse.Sql) ? [] : Analyze(parse.Sql);
        var prepared = new PreparedStatement(parse.Sql, parse.ParameterTypes, statements);
        if (Unreadable(parse.Sql, statements) is { } unreadable)
        {
            prepared = prepared with { Refusal = unreadable };
            WriteServer(new Parse(parse.StatementName, Refuse(unreadable), []));
        }
        else if (!_user.IsPerson && statements is not null && StaticGuard.Refusal(statements, _target.Policy, PolicyContext()) is { } refusal)
        {
            prepared = prepared with { Refusal = ErrorResponse.Error(ProxySqlStates.RefusedForService, refusal, hint: ServiceHint) };
            WriteServer(new Parse(parse.StatementName, Refuse(prepared.Refusal), []));
            _server.Audit(Entry("proxy.refused", "refused", parse.Sql, new() { ["reason"] = refusal }));
        }
        else
        {
            Forward(frame);
        }

        _statements[parse.StatementName] = prepared;

        if (parse.StatementName.Length == 0)
        {
            _unnamedTaken = false;
        }

        _ledger?.Expect();
    }

    private async Task HandleExecuteAsync(MessageFrame frame)
    {
        var execute = Execute.Read(frame.Payload);
        PreparedStatement? prepared = null;
        if (_portals.TryGetValue(execute.PortalName, out var portal))
        {
            _statements.TryGetValue(portal.Statement, out prepared);
        }

        if (prepared?.Statements is { } parsed)
        {
            // SET backstop.confirm sent with the extended protocol counts when it is executed.
            TrySetConfirmation(parsed);
        }

        if (_user.IsPerson && prepared is { Statements: [var only] } && (NeedsGuard(only) || NeedsProbe(only)) && portal is not null)
        {
            // What the client sent since its last Sync (this statement's Parse, Bind and Describe, as a rule) is
            // answered ahead of the guard's first pipeline, in the same round trip (UpstreamWire reads it first). Not
            // when a ReadyForQuery is owed or a statement sent since may have begun or ended a transaction: whether the
            // guard opens one of its own is known only from their answers.
            if (_ledger!.ReadyOwed > 0 || _openMayEndTransaction)
            {
                await QuietAsync();
            }

            if (_ledger.Discarding)
            {
                // The server discards until Sync after its own error; so does the proxy.
                return;
            }

            if (_status != TransactionStatus.Failed)
            {
                string sql;
                try
                {
                    sql = ParameterInliner.Inline(prepared.Sql, prepared.Types, portal.Bind.ParameterFormats, portal.Bind.ParameterValues);
                }
                catch (Exception e) when (e is InlineException or SqlSyntaxException)
                {
                    // The proxy's own error goes where the server's would: after the answers to what came before.
                    await QuietAsync();
                    if (!_ledger.Discarding)
                    {
                        WriteClient(ErrorResponse.Error(ProxySqlStates.NotGuardable, e.Message));
                    }

                    _discarding = true;
                    return;
                }

                // The guard's own statements were the unnamed statement (and portal) of the upstream session.
                _unnamedTaken = true;
                _guardTookUnnamed = true;
                if (!await GuardAsync(sql, only))
                {
                    _discarding = true;
                }

                // The guard ended with a Sync of its own, so the upstream is ready, in the state it last reported
                // (not so when one of the client's messages failed first: the server may still discard until Sync).
                _readyKnown = !_ledger.Discarding;
                return;
            }
        }

        if (prepared is { Statements.Count: 0 } && !_user.IsPerson)
        {
            // A service session's read: nothing to record.
        }
        else if (prepared is not null)
        {
            Await(prepared.Statements, prepared.Sql, Parameters(portal!.Bind));
        }
        else
        {
            Await(null, "(portal \"" + execute.PortalName + "\")", null);
        }

        if (_user.IsPerson && (prepared?.Statements is not { } known || known.Any(s => s.Info.Kind == StatementKind.TransactionControl)))
        {
            _openMayEndTransaction = true;
        }

        Forward(frame);
        _ledger?.Expect();
    }

    /// <summary>A Bind's portal and statement names, without reading its values; null when they are not there (Bind.Read then says why).</summary>
    private static (string Portal, string Statement)? BoundNames(ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        return reader.TryReadTo(out ReadOnlySpan<byte> portal, 0) && reader.TryReadTo(out ReadOnlySpan<byte> statement, 0)
            ? (Encoding.UTF8.GetString(portal), Encoding.UTF8.GetString(statement))
            : null;
    }

    /// <summary>
    /// The guard used the unnamed statement; when the client binds or describes its own without parsing it again (most
    /// drivers parse it every time), it is parsed again first, silently, in the state the client now expects.
    /// </summary>
    private void RestoreUnnamedStatement(string statementName)
    {
        if (_unnamedTaken && statementName.Length == 0 && _statements.TryGetValue("", out var unnamed))
        {
            // What the server was sent for it: a statement the proxy refused is refused again, never parsed for real.
            _unnamedTaken = false;
            WriteServer(unnamed.Refusal is { } refused ? new Parse("", Refuse(refused), []) : new Parse("", unnamed.Sql, unnamed.Types));
            _ledger?.Expect(own: true);
        }
    }

    private async Task HandleQueryAsync(MessageFrame frame)
    {
        // A simple query takes the unnamed statement on the server as well: the client's own is gone either way.
        _unnamedTaken = false;
        _openMayEndTransaction = false;
        if (!_user.IsPerson && SurelyReads(frame.Payload))
        {
            // The hot path of applications: a read, relayed as it came, without decoding it.
            Forward(frame);
            _ledger?.ExpectReady(sync: false);
            Interlocked.Increment(ref _owed);
            Interlocked.Increment(ref _sent);
            return;
        }

        var sql = Query.Read(frame.Payload).Sql;
        if (_user.IsPerson)
        {
            _volatileFunctions = await _server.Backend.VolatileFunctionsAsync(_target, CancellationToken.None);
        }

        if (SurelyReads(sql))
        {
            // The hot path of applications and dashboards: a text with no word that could write is relayed unsplit.
            EnqueueAwaiting(new AuditPending(sql, null, _server.Clock.GetUtcNow(), Stopwatch.GetTimestamp(), "read", Audited: _user.IsPerson));
            Forward(frame);
            _ledger?.ExpectReady(sync: false);
            Interlocked.Increment(ref _owed);
            Interlocked.Increment(ref _sent);
            return;
        }

        var statements = Analyze(sql);
        if (statements is not null)
        {
            // SET backstop.confirm is for the proxy; the server accepts it too (a custom setting), so it is sent on.
            TrySetConfirmation(statements);
        }

        if (Unreadable(sql, statements) is { } unreadable)
        {
            WriteServer(new Query(Refuse(unreadable)));
            EnqueueAwaiting(new AuditPending(sql, null, _server.Clock.GetUtcNow(), Stopwatch.GetTimestamp(), "refused", Audited: true));
            _ledger?.ExpectReady(sync: false);
            Interlocked.Increment(ref _owed);
            Interlocked.Increment(ref _sent);
            return;
        }

        if (!_user.IsPerson && statements is not null && StaticGuard.Refusal(statements, _target.Policy, PolicyContext()) is { } refusal)
        {
            WriteServer(new Query(Refuse(ErrorResponse.Error(ProxySqlStates.RefusedForService, refusal, hint: ServiceHint))));
            EnqueueAwaiting(new AuditPending(sql, null, _server.Clock.GetUtcNow(), Stopwatch.GetTimestamp(), "refused", Audited: true));
            _ledger?.ExpectReady(sync: false);
            Interlocked.Increment(ref _owed);
            Interlocked.Increment(ref _sent);
            return;
        }

        if (!_user.IsPerson || statements is null || _status == TransactionStatus.Failed
            || !statements.Any(s => NeedsGuard(s) || NeedsProbe(s)))
        {
            Await(statements, sql, null);
            Forward(frame);
            _ledger?.ExpectReady(sync: false);
            Interlocked.Increment(ref _owed);
            Interlocked.Increment(ref _sent);
            return;
        }

        await GuardQueryAsync(statements);
    }

    /// <summary>One audit entry per statement sent on, completed by its CommandComplete or error.</summary>
    private void Await(IReadOnlyList<AnalyzedStatement>? statements, string sql, string? parameters)
    {
        var now = _server.Clock.GetUtcNow();
        var clock = Stopwatch.GetTimestamp();
        if (statements is null)
        {
            EnqueueAwaiting(new AuditPending(sql, parameters, now, clock, "unread", Audited: true));
            return;
        }

        if (statements.Count == 0)
        {
            // Surely a read (SurelyReads), not split: one entry for the whole text.
            EnqueueAwaiting(new AuditPending(sql, parameters, now, clock, "read", Audited: _user.IsPerson));
            return;
        }

        foreach (var statement in statements)
        {
            var writes = statement.Info.IsWrite || Guarded(statement);
            EnqueueAwaiting(new AuditPending(statement.Statement.Text, parameters, now, clock, writes ? "write" : "read", Audited: _user.IsPerson || writes));
        }
    }

    /// <summary>A person's simple query holding a write: statement by statement, as the server would run them.</summary>
    private async Task GuardQueryAsync(IReadOnlyList<AnalyzedStatement> statements)
    {
        await QuietAsync();
        var ownTransaction = _status == TransactionStatus.Idle && statements.Count > 1 && !statements.Any(s => s.Info.Kind == StatementKind.TransactionControl);
        if (ownTransaction)
        {
            // Several statements in one message run as one implicit transaction; the proxy makes it explicit.
            await RunOwnAsync("BEGIN");
        }

        _errorSeen = false;
        foreach (var statement in statements)
        {
            if (_status != TransactionStatus.Failed && NeedsProbe(statement))
            {
                if (!await ProbeAsync(statement))
                {
                    _errorSeen = true;
                }
            }
            else if (_status == TransactionStatus.Failed || !NeedsGuard(statement))
            {
                Await([statement], statement.Statement.Text, null);
                WriteServer(new Query(statement.Statement.Text));
                _ledger!.ExpectReady(own: true, sync: false);
                Interlocked.Increment(ref _owed);
                Interlocked.Increment(ref _sent);
                await QuietAsync();
            }
            else if (!await GuardAsync(statement.Statement.Text, statement))
            {
                _errorSeen = true;
            }

            if (_errorSeen)
            {
                break;
            }
        }

        if (ownTransaction)
        {
            var commit = !_errorSeen && _status != TransactionStatus.Failed;
            await RunOwnAsync(commit ? "COMMIT" : "ROLLBACK");
            Settle(committed: commit && !_errorSeen);
            await RecordCommittedAsync();
        }

        WriteClient(new ReadyForQuery(_status));
    }

    /// <summary>A person's statement for the statement guard: one that can write, or calls a function with effects outside the database.</summary>
    private static bool NeedsGuard(AnalyzedStatement statement) => Guarded(statement) || statement.Info.ExternalEffect is not null;

    /// <summary>
    /// A read by its text that calls a volatile function of the database's own (not PostgreSQL's): it may write, so it
    /// runs between two readings of the transaction's write counters (<see cref="ProbeAsync"/>).
    /// </summary>
    private bool NeedsProbe(AnalyzedStatement statement)
    {
        if (NeedsGuard(statement) || _volatileFunctions.Count == 0)
        {
            return false;
        }

        var tokens = statement.Statement.Tokens;
        for (var i = 0; i + 1 < tokens.Count; i++)
        {
            if (tokens[i + 1].Kind == Sql.Lexing.TokenKind.LeftParenthesis
                && tokens[i].Kind is Sql.Lexing.TokenKind.Identifier or Sql.Lexing.TokenKind.QuotedIdentifier)
            {
                var text = statement.Statement.TokenText(tokens[i]);
                var name = tokens[i].Kind == Sql.Lexing.TokenKind.QuotedIdentifier ? text[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : text.ToLowerInvariant();
                if (_volatileFunctions.Contains(name))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Runs a read that may write between two readings of the transaction's write counters, under a savepoint, with
    /// its answers held back: unchanged counters release it and send the answers on (one statement, its rows kept);
    /// moved counters roll it back, and it goes through the guard as the write it is (DESIGN D10).
    /// </summary>
    private async Task<bool> ProbeAsync(AnalyzedStatement statement)
    {
        await QuietAsync();
        var own = _status == TransactionStatus.Idle;
        if (own)
        {
            await RunRawAsync("BEGIN");
        }

        var savepoint = "backstop_probe_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var before = (await RunRawAsync($"SAVEPOINT {savepoint}; {WrittenSql}")).Value;
        var held = new ArrayBufferWriter<byte>();
        _out = held;
        _errorSeen = false;
        try
        {
            Await([statement], statement.Statement.Text, null);
            WriteServer(new Query(statement.Statement.Text));
            _ledger!.ExpectReady(own: true, sync: false);
            Interlocked.Increment(ref _owed);
            Interlocked.Increment(ref _sent);
            await QuietAsync();
        }
        finally
        {
            _out = _toClient;
        }

        if (_errorSeen)
        {
            // It failed as it would have without Backstop: the transaction is aborted (the proxy's own is rolled back).
            if (own)
            {
                await RunRawAsync("ROLLBACK");
            }

            _toClient.Write(held.WrittenSpan);
            return false;
        }

        var after = (await RunRawAsync(WrittenSql)).Value;
        if (before is not null && after == before)
        {
            await RunRawAsync($"RELEASE SAVEPOINT {savepoint}" + (own ? "; COMMIT" : ""));
            _toClient.Write(held.WrittenSpan);
            return true;
        }

        await RunRawAsync($"ROLLBACK TO SAVEPOINT {savepoint}; RELEASE SAVEPOINT {savepoint}" + (own ? "; ROLLBACK" : ""));
        return await GuardAsync(statement.Statement.Text, statement);
    }

    /// <summary>The same reading as the guard's read probe: every tuple the transaction wrote so far, catalog included.</summary>
    private const string WrittenSql = "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint FROM pg_stat_xact_all_tables";

    /// <summary>
    /// A simple query of the proxy's own, when the server owes nothing: its answers are not the client's. Returns the
    /// first column of its last row, as text.
    /// </summary>
    private async Task<(string? Value, ErrorResponse? Error)> RunRawAsync(string sql)
    {
        WriteServer(new Query(sql));
        await FlushServerAsync();
        string? value = null;
        ErrorResponse? error = null;
        while (true)
        {
            _serverRead ??= _upstream.Reader.ReadAsync(CancellationToken.None).AsTask();
            var result = await _serverRead;
            _serverRead = null;
            var buffer = result.Buffer;
            var done = false;
            try
            {
                while (!done && _serverMessages.TryReadBackend(ref buffer, out var frame))
                {
                    switch ((BackendMessageCode)frame.Code)
                    {
                        case BackendMessageCode.DataRow:
                            value = FirstColumn(frame.Payload);
                            break;
                        case BackendMessageCode.ErrorResponse:
                            error = ErrorResponse.Read(frame.Payload);
                            break;
                        case BackendMessageCode.ParameterStatus:
                            var parameter = ParameterStatus.Read(frame.Payload);
                            _parameters[parameter.Name] = parameter.Value;
                            break;
                        case BackendMessageCode.NotificationResponse:
                            // Unasked news for the client, whenever it comes.
                            Frames.Copy(frame, _toClient);
                            break;
                        case BackendMessageCode.ReadyForQuery:
                            _status = ReadyForQuery.Read(frame.Payload).Status;
                            done = true;
                            break;
                    }
                }
            }
            finally
            {
                _upstream.Reader.AdvanceTo(buffer.Start, buffer.End);
            }

            if (done)
            {
                if (error is not null)
                {
                    _server.Log($"a statement of the proxy's own failed on {_target.Name}: {error.Fields.Message}");
                }

                return (value, error);
            }

            if (result.IsCompleted)
            {
                throw new UpstreamException("the upstream server closed the connection");
            }
        }
    }

    private static string? FirstColumn(ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        if (!reader.TryReadBigEndian(out short columns) || columns < 1 || !reader.TryReadBigEndian(out int length) || length < 0 || reader.Remaining < length)
        {
            return null;
        }

        return Encoding.UTF8.GetString(reader.UnreadSequence.Slice(0, length));
    }

    /// <summary>
    /// Guards one statement of a person's session in the client's transaction (the proxy's own when the client has
    /// none): the client gets CommandComplete when it was kept, an ErrorResponse when it was not.
    /// </summary>
    private async Task<bool> GuardAsync(string sql, AnalyzedStatement statement)
    {
        var started = _server.Clock.GetUtcNow();
        var clock = Stopwatch.GetTimestamp();
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));
        var confirmed = string.Equals(_confirmation, _target.Name, StringComparison.Ordinal);
        _confirmation = null;
        var context = new GuardContext
        {
            EnvironmentName = _target.Name,
            Actor = _user.Name,
            TimeZone = _target.Environment.TimeZone,
            ProvenBackups = _target.ProvenBackups,
            Confirmed = confirmed,
        };

        // The client's messages not answered yet go first, in the same write as the guard's first pipeline (the wire
        // writes through the session, and takes over the relay's read in flight).
        GuardOutcome? outcome = null;
        ProxyApproval? approval = null;
        ErrorResponse? error = null;
        var clientFailed = false;
        var ownTransaction = _status == TransactionStatus.Idle;

        // In autocommit, the statement is recorded as running under the change id it gets if kept, while the database
        // runs it (IProxyBackend.RecordRunningAsync writes elsewhere), and settled, or removed, once the reply is known.
        Guid? changeId = ownTransaction ? Guid.CreateVersion7() : null;
        var running = changeId is { } recorded ? _server.Backend.RecordRunningAsync(_target, _user.Name, sql, recorded, started, CancellationToken.None) : null;
        // The one-run way goes over the upstream connection directly; the upstream is lent to Npgsql only for another way.
        var link = new SessionLink(this);
        try
        {
            try
            {
                // In autocommit the guard opens and ends the transaction itself, in the batches it sends anyway.
                outcome = await _server.Guard(_target).GuardAsync(link, sql, context with { Autocommit = ownTransaction, ChangeId = changeId }, CancellationToken.None);

                // An approval is looked for only when one is needed: another person approved this very statement, and
                // it runs again with the approved impact as its bound, the proxy holding the transaction until the
                // approval is claimed.
                if (outcome is { Kept: false, Verdict: Verdict.Approve, Impact.Executed: true }
                    && await _server.Backend.FindApprovalAsync(_target, _user.Name, sha, CancellationToken.None) is { } found)
                {
                    approval = found;
                    if (ownTransaction)
                    {
                        await link.ExecuteAsync("BEGIN");
                    }

                    outcome = await _server.Guard(_target).GuardAsync(link, sql, context with { ApprovedImpact = found.Impact, ChangeId = changeId }, CancellationToken.None);
                }
            }
            catch (ClientMessagesFailedException)
            {
                // One of the client's own messages before this one failed (its error is relayed): the server discarded
                // the guard's pipeline, as it discards the rest until Sync, and nothing of this statement ran.
                clientFailed = true;
            }
            catch (StatementFailedException e)
            {
                error = FromServer(e.Error);
            }
            catch (ScriptRejectedException e)
            {
                error = ErrorResponse.Error(ProxySqlStates.NotGuardable, e.Message);
            }
            catch (PostgresException e)
            {
                error = FromServer(e);
            }

            if (!clientFailed && !_ledger!.Quiet)
            {
                // The guard did not reach the server (a text it refuses as it stands): the answers owed to the client
                // come before its error, and an error among them is the client's only one, as the server would send.
                await QuietAsync();
                clientFailed = _ledger.Discarding;
            }

            if (clientFailed)
            {
                if (running is not null)
                {
                    await SettleRunningAsync(sql, null, started, TimeSpan.Zero, changeId!.Value, running);
                }

                return false;
            }

            var kept = outcome is { Kept: true };
            if (kept && approval is not null && outcome!.Verdict == Verdict.Approve && !await _server.Backend.ClaimApprovalAsync(approval.RequestId, CancellationToken.None))
            {
                kept = false;
                error = ErrorResponse.Error(ProxySqlStates.ApprovalRequired, $"request {approval.RequestId} was already used by another session; nothing of this statement was kept",
                    hint: "An approval is good for one execution; send the statement again for a new request");
            }

            if (ownTransaction && approval is not null)
            {
                try
                {
                    await link.ExecuteAsync(kept ? "COMMIT" : "ROLLBACK");
                }
                catch (PostgresException e)
                {
                    kept = false;
                    error = FromServer(e);
                }
            }
            else if (!kept && !ownTransaction && link.Usable)
            {
                // As after a server error: the client's transaction is aborted until it rolls back.
                try
                {
                    await link.ExecuteAsync(MarkerPrefix + "abort");
                }
                catch (PostgresException)
                {
                }
            }

            if (!kept)
            {
                error ??= await RefusalAsync(sql, outcome!);
            }
        }
        finally
        {
            if (link.Lent is var (connection, lease))
            {
                await GiveBackUpstreamAsync(connection, lease);
            }
        }

        var duration = Stopwatch.GetElapsedTime(clock);
        var keptAs = running is null ? null : await SettleRunningAsync(sql, error is null && !clientFailed ? outcome : null, started, duration, changeId!.Value, running);
        var detail = new Dictionary<string, string> { ["duration_ms"] = duration.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) };
        if (outcome is not null)
        {
            detail["verdict"] = outcome.Verdict.ToString().ToLowerInvariant();
            detail["rows"] = outcome.Impact.Changed.ToString(CultureInfo.InvariantCulture);
        }

        if (error is not null)
        {
            detail["sqlstate"] = error.Fields.SqlState ?? "";
            _server.Audit(Entry("proxy.statement", "refused", sql, detail));
            WriteClient(error);
            return false;
        }

        var tag = Tag(outcome!, statement);
        detail["tag"] = tag;
        if (approval is not null)
        {
            detail["request"] = approval.RequestId.ToString(CultureInfo.InvariantCulture);
        }

        if (outcome!.ChangeId is not null)
        {
            if (!outcome.OneRun)
            {
                _server.Backend.OfferPersistentCapture(_target, outcome.Impact.Tables.Where(t => t.Changed > 0).Select(t => (t.Schema, t.Name)).ToList());
            }
            else if (ownTransaction)
            {
                _server.Backend.MaterializeStagedImages(_target);
            }

            if (ownTransaction)
            {
                try
                {
                    var id = keptAs ?? await _server.Backend.RecordChangeAsync(_target, _user.Name, sql, outcome, started, duration, CancellationToken.None);
                    detail["change"] = id.ToString(CultureInfo.InvariantCulture);
                    WriteClient(KeptNotice(id));
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    WriteClient(Unrecorded(sql, e));
                }

            }
            else
            {
                _uncommitted.Add((sql, outcome, started, duration));
            }
        }

        _server.Audit(Entry("proxy.statement", "ok", sql, detail));
        WriteClient(CommandComplete(tag));
        return true;
    }

    /// <summary>
    /// What a guarded statement of this session runs on: the upstream connection as a wire of the session's own
    /// (<see cref="UpstreamWire"/>), and lent to Npgsql through the bridge only when the guard asks for Npgsql.
    /// </summary>
    private sealed class SessionLink(ProxySession session) : GuardLink
    {
        // Once lent, the upstream is Npgsql's until given back: the bridge's relay reads it.
        public override IOneRunWire Wire => Lent is { } lent
            ? new NpgsqlOneRunWire(lent.Connection)
            : session._wire ??= new UpstreamWire(session);

        /// <summary>The upstream lent to Npgsql for this statement, if it was; given back when the statement is done.</summary>
        public (NpgsqlConnection Connection, BridgeLease Lease)? Lent { get; private set; }

        /// <summary>Whether the upstream can still take a statement.</summary>
        public bool Usable => Lent is not { } lent || lent.Connection.State == System.Data.ConnectionState.Open;

        public override async ValueTask<NpgsqlConnection> NpgsqlAsync()
        {
            if (Lent is null)
            {
                // Npgsql must find the upstream with nothing owed to the client, and no read of the session's in flight.
                await session.QuietAsync();
                await session.StopServerReadAsync();
                if (session._ledger!.Discarding)
                {
                    throw new ClientMessagesFailedException();
                }

                Lent = await session.LendUpstreamAsync();
            }

            return Lent.Value.Connection;
        }

        /// <summary>One statement of the proxy's own on whichever the upstream is now.</summary>
        /// <exception cref="PostgresException">it failed.</exception>
        public async Task ExecuteAsync(string sql) => (await Wire.RunAsync([new WireStatement(sql)], CancellationToken.None)).ThrowIfFailed();
    }

    /// <summary>
    /// The session's Npgsql connection through the guard bridge, lent the upstream connection: opened at the first
    /// statement the guard needs Npgsql for and kept for the session's length (GuardBridge says why).
    /// </summary>
    private async Task<(NpgsqlConnection Connection, BridgeLease Lease)> LendUpstreamAsync()
    {
        if (_bridged is { } bridged && bridged.Connection.State == System.Data.ConnectionState.Open && !bridged.Lease.Completion.IsCompleted)
        {
            await bridged.Lease.LendAsync();
            return bridged;
        }

        _bridged = await _server.Bridge.LeaseAsync(this, CancellationToken.None);
        return _bridged.Value;
    }

    /// <summary>Takes the upstream connection back from the guard; a broken Npgsql connection is closed for good.</summary>
    private async Task GiveBackUpstreamAsync(NpgsqlConnection connection, BridgeLease lease)
    {
        if (connection.State == System.Data.ConnectionState.Open && !lease.Completion.IsCompleted)
        {
            await lease.ReturnAsync();
            return;
        }

        _bridged = null;
        await connection.DisposeAsync();
        await lease.Completion;
    }

    /// <summary>At the session's end: Npgsql's Terminate stays with the bridge, and the upstream is closed after.</summary>
    private async Task CloseBridgedAsync()
    {
        if (_bridged is { } bridged)
        {
            _bridged = null;
            await bridged.Connection.DisposeAsync();
            await bridged.Lease.Completion.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task<ErrorResponse> RefusalAsync(string sql, GuardOutcome outcome)
    {
        var reasons = string.Join("; ", outcome.Reasons.Select(r => r.Message));
        var impact = string.Join(", ", outcome.Impact.Tables.Where(t => t.Changed > 0).Select(t =>
            $"{t.QualifiedName}: {Count(t.Inserted, "inserted")}{Count(t.Updated, "updated")}{Count(t.Deleted, "deleted")}".TrimEnd(',', ' ')));
        var effects = string.Join(", ", outcome.Impact.Effects.Select(e => e.ToString()));
        var detail = string.Join("; ", new[] { impact, effects }.Where(s => s.Length > 0));
        detail = detail.Length > 0 ? "Impact: " + detail : "";
        switch (outcome.Verdict)
        {
            case Verdict.Approve when outcome.Impact.Executed:
                var id = await _server.Backend.RequestApprovalAsync(_target, _user.Name, sql, outcome, CancellationToken.None);
                return ErrorResponse.Error(ProxySqlStates.ApprovalRequired, $"needs another person's approval: {reasons}; nothing was changed", detail,
                    $"Request {id}: another person runs `backstop approve {id}`, then send the same statement again");
            case Verdict.Approve:
                return ErrorResponse.Error(ProxySqlStates.ApprovalRequired, $"needs another person's approval: {reasons}; nothing was changed", detail,
                    "This statement cannot be measured inside a transaction; run it with `backstop run` for a request");
            case Verdict.Deny:
                return ErrorResponse.Error(ProxySqlStates.Denied, $"denied by the {_target.Environment.Tier.ToString().ToLowerInvariant()} policy: {reasons}; nothing was changed", detail);
            case Verdict.Confirm when !outcome.Kept && outcome.Message?.StartsWith("needs confirmation", StringComparison.Ordinal) == true:
                return ErrorResponse.Error(ProxySqlStates.ConfirmationRequired, $"needs confirmation: {reasons}; nothing was changed", detail,
                    $"Send SET backstop.confirm = '{_target.Name}'; then the same statement again");
            default:
                return ErrorResponse.Error(ProxySqlStates.NotGuardable, outcome.Message ?? "the statement was not kept", detail);
        }
    }

    private static string Count(long rows, string what) => rows > 0 ? $"{rows.ToString("N0", CultureInfo.InvariantCulture)} {what}, " : "";

    private static ErrorResponse FromServer(PostgresException e) =>
        ErrorResponse.Error(e.SqlState, e.MessageText, e.Detail, e.Hint);

    private static string Tag(GuardOutcome outcome, AnalyzedStatement statement)
    {
        var tag = outcome.Impact.CommandTag;
        if (tag.Length > 0 && char.IsDigit(tag[^1]) && tag.Split(' ')[0] is "INSERT" or "UPDATE" or "DELETE" or "MERGE" or "SELECT" or "COPY")
        {
            return tag;
        }

        return statement.Info.Kind switch
        {
            StatementKind.Do => "DO",
            StatementKind.Call => "CALL",
            StatementKind.Truncate => "TRUNCATE TABLE",
            _ => string.Join(' ', statement.Statement.Tokens.Take(2).Where(t => t.Kind == Sql.Lexing.TokenKind.Identifier)
                .Select(t => statement.Statement.TokenText(t).ToUpperInvariant())),
        };
    }

    /// <summary>CommandComplete (B): the tag, as a String.</summary>
    private static RawMessage CommandComplete(string tag) =>
        new((byte)BackendMessageCode.CommandComplete, Encoding.UTF8.GetBytes(tag + "\0"));

    /// <summary>Runs a statement of the proxy's own on the upstream session; its answers are not the client's.</summary>
    private async Task RunOwnAsync(string sql)
    {
        // Straight on the upstream connection (one simple query), not through the bridge: nothing of Npgsql is needed.
        var (_, error) = await RunRawAsync(sql);
        if (error is not null)
        {
            WriteClient(error);
            _errorSeen = true;
        }
    }

    // ---------------------------------------------------------------- the server's side

    /// <summary>Waits until the server has answered everything forwarded so far, relaying its answers.</summary>
    private async Task QuietAsync()
    {
        var ledger = _ledger!;
        if (ledger.OpenAwaitsFlush)
        {
            WriteServer(new Flush());
        }

        await FlushServerAsync();
        while (!ledger.Quiet)
        {
            _serverRead ??= _upstream.Reader.ReadAsync(CancellationToken.None).AsTask();
            var result = await _serverRead;
            _serverRead = null;
            ProcessServer(result);
            await RecordCommittedAsync();
            if (result.IsCompleted && !ledger.Quiet)
            {
                throw new UpstreamException("the upstream server closed the connection");
            }
        }

        await RecordCommittedAsync();
        await FlushClientAsync();
    }

    /// <summary>Takes back the relay's pending read of the upstream connection, relaying what it brought.</summary>
    private async Task StopServerReadAsync()
    {
        if (_serverRead is null)
        {
            return;
        }

        _upstream.Reader.CancelPendingRead();
        var result = await _serverRead;
        _serverRead = null;
        ProcessServer(result);
        await RecordCommittedAsync();
        await FlushClientAsync();
    }

    private void ProcessServer(ReadResult result)
    {
        var buffer = result.Buffer;
        try
        {
            while (_heldReady is null && _serverMessages.TryReadBackend(ref buffer, out var frame))
            {
                OnServerMessage(frame);
            }
        }
        finally
        {
            if (_heldReady is null)
            {
                _upstream.Reader.AdvanceTo(buffer.Start, buffer.End);
            }
            else
            {
                // What came after the held ReadyForQuery is read again next time, at once.
                _upstream.Reader.AdvanceTo(buffer.Start);
            }
        }

        if (result.IsCompleted && !result.IsCanceled && buffer.IsEmpty)
        {
            throw new UpstreamException("the upstream server closed the connection");
        }
    }

    private void OnServerMessage(in MessageFrame frame)
    {
        switch ((BackendMessageCode)frame.Code)
        {
            case BackendMessageCode.ReadyForQuery:
                var previous = _status;
                _status = frame.Payload.Length == 1 && frame.Payload.FirstSpan[0] is (byte)'I' or (byte)'T' or (byte)'E'
                    ? (TransactionStatus)frame.Payload.FirstSpan[0]
                    : ReadyForQuery.Read(frame.Payload).Status;
                if (Interlocked.Decrement(ref _owed) < 0)
                {
                    Interlocked.Exchange(ref _owed, 0);
                }

                var own = _ledger?.Ready() ?? false;
                CloseAwaiting("not run");
                if (previous != TransactionStatus.Idle && _status == TransactionStatus.Idle)
                {
                    Settle(committed: _lastTag == "COMMIT");
                }

                if (own)
                {
                    return;
                }

                if (_committed.Count > 0)
                {
                    // The client's transaction committed kept statements: their notices (the change numbers) go before
                    // this ReadyForQuery, which waits until they are recorded (RecordCommittedAsync), and so does
                    // everything the server sent after it (ProcessServer stops here).
                    var held = new ArrayBufferWriter<byte>((int)frame.Payload.Length + 5);
                    Frames.Copy(frame, held);
                    _heldReady = held.WrittenSpan.ToArray();
                    return;
                }

                break;
            case BackendMessageCode.ParameterStatus:
                var parameter = ParameterStatus.Read(frame.Payload);
                _parameters[parameter.Name] = parameter.Value;
                break;
            case BackendMessageCode.ErrorResponse:
                var error = ErrorResponse.Read(frame.Payload);
                if (error.Fields.Message is { } message && message.Contains(MarkerPrefix, StringComparison.Ordinal))
                {
                    var key = _markers.Keys.FirstOrDefault(k => message.Contains(k, StringComparison.Ordinal));
                    if (key is not null)
                    {
                        _markers.TryRemove(key, out error!);
                    }
                }

                if (_ledger?.Failed() == true && _guardTookUnnamed)
                {
                    // The server discards the rest of the segment, an unnamed Parse among it perhaps (the client's, or
                    // RestoreUnnamedStatement's): its unnamed statement may still be a guard's, so it is parsed again
                    // before the client uses it (parsing the same text twice changes nothing).
                    _unnamedTaken = true;
                }

                if (_status == TransactionStatus.InTransaction)
                {
                    _status = TransactionStatus.Failed;
                }

                _errorSeen = true;
                FinishAwaiting("error", error.Fields.SqlState);
                WriteClient(error);
                return;
            case BackendMessageCode.CommandComplete when !_user.IsPerson && !AwaitingNow():
                // A service session's read: nothing to record, nothing to track.
                break;
            case BackendMessageCode.CommandComplete:
                _lastTag = CommandTagOf(frame.Payload);
                // ROLLBACK TO SAVEPOINT has the tag ROLLBACK too, and leaves the transaction open: told apart by its text.
                var rollbackTo = _lastTag == "ROLLBACK" && AwaitingNow() && _awaiting.TryPeek(out var answered) && RollbackTo().IsMatch(answered.Statement);
                FinishAwaiting(_lastTag, null);
                // Inside a pipeline the ReadyForQuery that reports it comes at Sync; a guard before that must know.
                switch (_lastTag)
                {
                    case "BEGIN" or "START TRANSACTION":
                        _status = TransactionStatus.InTransaction;
                        break;
                    case "COMMIT" or "ROLLBACK" when _status != TransactionStatus.Idle && !rollbackTo:
                        Settle(committed: _lastTag == "COMMIT");
                        _status = TransactionStatus.Idle;
                        break;
                }

                _ledger?.Completed();
                break;
            case BackendMessageCode.EmptyQueryResponse:
                FinishAwaiting("", null);
                _ledger?.Completed();
                break;
            case BackendMessageCode.RowDescription or BackendMessageCode.ParseComplete or BackendMessageCode.BindComplete
                or BackendMessageCode.CloseComplete or BackendMessageCode.NoData or BackendMessageCode.PortalSuspended:
                if (_ledger?.Completed() == ReplyLedger.Answer.Own)
                {
                    // The unnamed statement parsed again after the guard (RestoreUnnamedStatement): not the client's.
                    return;
                }

                break;
        }

        Frames.Copy(frame, _out);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\s*ROLLBACK(\s+(WORK|TRANSACTION))?\s+TO\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex RollbackTo();

    private static string CommandTagOf(ReadOnlySequence<byte> payload)
    {
        var bytes = payload.ToArray();
        var end = Array.IndexOf(bytes, (byte)0);
        return Encoding.UTF8.GetString(bytes, 0, end < 0 ? bytes.Length : end);
    }

    /// <summary>The client's transaction ended: its kept statements become changes, or go with its rollback.</summary>
    private void Settle(bool committed)
    {
        if (_uncommitted.Count == 0)
        {
            return;
        }

        if (committed)
        {
            _committed.AddRange(_uncommitted);
            if (_uncommitted.Any(c => c.Outcome.OneRun))
            {
                _server.Backend.MaterializeStagedImages(_target);
            }
        }

        _uncommitted.Clear();
    }

    /// <summary>Records what committed since the last call as changes, and tells the client their numbers.</summary>
    private async Task RecordCommittedAsync()
    {
        if (_committed.Count == 0)
        {
            ReleaseHeldReady();
            return;
        }

        var committed = _committed.ToList();
        _committed.Clear();
        foreach (var (statement, outcome, started, duration) in committed)
        {
            try
            {
                var id = await _server.Backend.RecordChangeAsync(_target, _user.Name, statement, outcome, started, duration, CancellationToken.None);
                WriteClient(KeptNotice(id));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                WriteClient(Unrecorded(statement, e));
            }
        }

        ReleaseHeldReady();
    }

    private void ReleaseHeldReady()
    {
        if (_heldReady is { } ready)
        {
            _heldReady = null;
            _out.Write(ready);
        }
    }

    /// <summary>The warning a client gets for a kept change its record could not be written for; audited.</summary>
    private NoticeResponse Unrecorded(string statement, Exception e)
    {
        _server.Audit(Entry("proxy.change.unrecorded", "failed", statement, new() { ["error"] = e.Message }));
        return new NoticeResponse(ErrorFields.Create("WARNING", "01000",
            $"Backstop kept the before-images of this change in the database, but could not record it ({e.Message}); `backstop changes` will not list it"));
    }

    /// <summary>
    /// Settles the running record of a statement of the proxy's own transaction: as the change committed when it was
    /// kept (under the id recorded, whichever way kept it), removed when it was not kept.
    /// </summary>
    /// <param name="kept">the statement's outcome when it was kept; null when it was not.</param>
    /// <returns>the kept change's id; null when it has no record yet.</returns>
    private async Task<long?> SettleRunningAsync(string sql, GuardOutcome? kept, DateTimeOffset started, TimeSpan duration, Guid changeId, Task<long> running)
    {
        long id;
        try
        {
            id = await running;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Nothing was recorded: a kept change is recorded afresh (or warned of) by the caller.
            return null;
        }

        if (kept is { Kept: true } && kept.ChangeId == changeId)
        {
            _server.Backend.SettleChange(id, _target, _user.Name, sql, kept, started, duration, committed: true);
            return id;
        }

        _server.Backend.DiscardRunning(id, _target);
        return null;
    }

    private static NoticeResponse KeptNotice(long id) =>
        new(ErrorFields.Create("NOTICE", "00000", $"Backstop kept this as change {id}; `backstop undo {id}` takes it back"));

    // ---------------------------------------------------------------- audit

    /// <summary>Whether an audit entry waits for the answer being read now (one of the query the server answers now).</summary>
    private bool AwaitingNow() => _awaiting.TryPeek(out var head) && head.Generation == Interlocked.Read(ref _received);

    private void FinishAwaiting(string tag, string? sqlState)
    {
        // An answer belongs to the query sent after the last ReadyForQuery; a read that was not queued has no entry.
        if (!AwaitingNow() || !_awaiting.TryDequeue(out var pending) || !pending.Audited)
        {
            return;
        }

        var detail = new Dictionary<string, string>
        {
            ["verdict"] = pending.Verdict,
            ["duration_ms"] = Stopwatch.GetElapsedTime(pending.Clock).TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture),
        };
        if (tag.Length > 0)
        {
            detail["tag"] = tag;
        }

        if (sqlState is not null)
        {
            detail["sqlstate"] = sqlState;
        }

        if (pending.Parameters is not null)
        {
            detail["parameters"] = pending.Parameters;
        }

        _server.Audit(Entry("proxy.statement", sqlState is null ? "ok" : "failed", pending.Statement, detail) with { At = pending.Started });
    }

    private void EnqueueAwaiting(AuditPending pending) => _awaiting.Enqueue(pending with { Generation = Interlocked.Read(ref _sent) });

    /// <summary>At a ReadyForQuery: what was sent before it and has not completed did not run.</summary>
    private void CloseAwaiting(string why)
    {
        var received = Interlocked.Increment(ref _received);
        while (_awaiting.TryPeek(out var head) && head.Generation < received)
        {
            FinishAwaiting(why, "not run");
        }
    }

    private string? Parameters(Bind bind)
    {
        if (bind.ParameterValues.Count == 0)
        {
            return null;
        }

        return _server.Settings.Parameters switch
        {
            "keep" => string.Join(", ", bind.ParameterValues.Select((v, i) => v is null ? "NULL" : bind.ParameterFormats.Count switch
            {
                0 => Encoding.UTF8.GetString(v),
                1 when bind.ParameterFormats[0] == 0 => Encoding.UTF8.GetString(v),
                > 1 when bind.ParameterFormats[i] == 0 => Encoding.UTF8.GetString(v),
                _ => "\\x" + Convert.ToHexStringLower(v),
            })),
            "redact" => $"{bind.ParameterValues.Count} value(s), redacted",
            _ => string.Join(", ", bind.ParameterValues.Select(v => v is null ? "NULL" : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(v))[..16])),
        };
    }

    private ProxyAuditEntry Entry(string action, string outcome, string? statement, Dictionary<string, string>? detail = null) => new()
    {
        User = _user?.Name ?? "(unknown)",
        Environment = _target?.Name ?? "",
        Client = _peer,
        Action = action,
        Outcome = outcome,
        Statement = statement,
        Detail = detail ?? [],
        At = _server.Clock.GetUtcNow(),
    };

    // ---------------------------------------------------------------- helpers

    private const string ServiceHint = "Service accounts may not run this on this tier; a person runs it through the proxy or `backstop run`, where it is measured and can be approved";

    private PolicyContext PolicyContext() => new()
    {
        Now = _server.Clock.GetUtcNow(),
        TimeZone = _target.Environment.TimeZone,
        EnvironmentName = _target.Name,
        ProvenBackups = _target.ProvenBackups,
    };

    /// <summary>A statement that fails to parse, which the server answers in the refused statement's place.</summary>
    private string Refuse(ErrorResponse error)
    {
        var marker = MarkerPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        _markers[marker] = error;
        return marker;
    }

    /// <summary>
    /// Words without which a text cannot write, call a procedure, change how later text is read, or confirm anything
    /// to Backstop. Matched anywhere, case-insensitively, so "updated_at" or "dropdown" only cost the full reading.
    /// </summary>
    private static readonly string[] WriteWords =
    [
        "insert", "update", "delete", "merge", "truncate", "drop", "alter", "create", "grant", "revoke", "copy", "call",
        "do", "comment", "security", "vacuum", "cluster", "reindex", "refresh", "import", "lock", "notify", "listen",
        "set", "reset", "load", "discard", "prepare", "execute", "into", "nextval", "setval", "lo_", "pg_", "dblink",
        "backstop", "begin", "commit", "rollback", "savepoint", "release", "abort", "end", "start", "declare", "fetch",
    ];

    /// <summary>
    /// Whether a text surely only reads, without splitting it: none of <see cref="WriteWords"/> appears in it, the
    /// session reads SQL as Backstop does, and (for a person) it calls no function at all while the database has
    /// volatile ones of its own.
    /// </summary>
    private bool SurelyReads(string sql)
    {
        if (sql.Length > 4096 || LexingProblem() is not null || (_user.IsPerson && _volatileFunctions.Count > 0 && sql.Contains('(', StringComparison.Ordinal)))
        {
            return false;
        }

        foreach (var word in WriteWords)
        {
            if (sql.Contains(word, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary><see cref="SurelyReads(string)"/> on a Query message's bytes, without decoding them (ASCII words, any case).</summary>
    private bool SurelyReads(ReadOnlySequence<byte> payload)
    {
        if (payload.Length > 4096 || LexingProblem() is not null)
        {
            return false;
        }

        Span<byte> lower = stackalloc byte[(int)payload.Length];
        payload.CopyTo(lower);
        for (var i = 0; i < lower.Length; i++)
        {
            if (lower[i] is >= (byte)'A' and <= (byte)'Z')
            {
                lower[i] = (byte)(lower[i] | 0x20);
            }
        }

        foreach (var word in WriteWordBytes)
        {
            if (lower.IndexOf(word) >= 0)
            {
                return false;
            }
        }

        return true;
    }

    private static readonly byte[][] WriteWordBytes = [.. WriteWords.Select(w => Encoding.ASCII.GetBytes(w))];

    /// <summary>The statements of a text as the server will split them, or null when Backstop cannot lex it (the server answers).</summary>
    private IReadOnlyList<AnalyzedStatement>? Analyze(string sql)
    {
        if (LexingProblem() is not null)
        {
            // Backstop lexes UTF-8 with standard_conforming_strings on; otherwise a backslash in '…' escapes a quote, and
            // the statements could be cut where the server does not cut them. Nothing is judged by a wrong reading.
            return null;
        }

        try
        {
            var script = SqlSplitter.Split(sql);
            return script.Statements.Select(s => new AnalyzedStatement(s, StatementClassifier.Classify(s))).ToList();
        }
        catch (SqlSyntaxException)
        {
            return null;
        }
    }

    /// <summary>Why this session's text cannot be read as the server reads it; null when it can.</summary>
    private string? LexingProblem()
    {
        if (_parameters.TryGetValue("standard_conforming_strings", out var scs) && scs == "off")
        {
            return "standard_conforming_strings is off";
        }

        // The proxy reads and the guard resends the text as UTF-8: another encoding would change its characters.
        return _parameters.TryGetValue("client_encoding", out var encoding) && encoding.ToUpperInvariant() is not ("UTF8" or "UNICODE" or "SQL_ASCII")
            ? $"client_encoding is {encoding}"
            : null;
    }

    /// <summary>
    /// A person's text that Backstop cannot read is refused, never relayed unjudged: its lexer failed, or the session's
    /// settings make the server read it differently. Putting the settings back is let through.
    /// </summary>
    private ErrorResponse? Unreadable(string sql, IReadOnlyList<AnalyzedStatement>? statements)
    {
        if (!_user.IsPerson || statements is not null)
        {
            return null;
        }

        if (LexingProblem() is { } problem)
        {
            var words = sql.Trim().TrimEnd(';').Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length >= 2 && words[0].ToUpperInvariant() is "SET" or "RESET"
                && words.Skip(1).SkipWhile(w => w.Equals("SESSION", StringComparison.OrdinalIgnoreCase)).FirstOrDefault() is { } name
                && name.ToLowerInvariant() is "standard_conforming_strings" or "client_encoding" or "names")
            {
                return null;
            }

            return ErrorResponse.Error(ProxySqlStates.NotGuardable, $"Backstop's proxy guards a session only while it reads SQL as Backstop does, and {problem}; nothing was run",
                hint: "SET standard_conforming_strings = on; SET client_encoding = 'UTF8'");
        }

        return ErrorResponse.Error(ProxySqlStates.NotGuardable, "Backstop could not read this statement, so it was not run",
            hint: "Check its quotes and comments; PostgreSQL would very likely refuse it as well");
    }

    /// <summary>
    /// Whether a person's statement goes through the inline guard: anything that can write, but COPY FROM STDIN, whose
    /// rows stream from the client after the statement and which the guard cannot run twice (it is relayed and audited).
    /// </summary>
    private static bool Guarded(AnalyzedStatement statement) => !FromClient(statement) && (statement.Info.IsWrite || statement.Info.Kind is
        StatementKind.Do or StatementKind.Call or StatementKind.Merge or StatementKind.Truncate or StatementKind.Unclassified
        or StatementKind.DropTable or StatementKind.DropSchema or StatementKind.DropDatabase or StatementKind.DropIndex or StatementKind.DropView
        or StatementKind.DropMaterializedView or StatementKind.DropSequence or StatementKind.DropFunction or StatementKind.DropProcedure
        or StatementKind.DropTrigger or StatementKind.DropType or StatementKind.DropExtension or StatementKind.DropRole or StatementKind.DropOther
        or StatementKind.AlterTable or StatementKind.AlterOther or StatementKind.Create or StatementKind.Grant or StatementKind.Revoke);

    private static bool FromClient(AnalyzedStatement statement) =>
        statement.Info.Kind == StatementKind.CopyFrom
        && statement.Statement.Tokens.Any(t => t.Kind == Sql.Lexing.TokenKind.Identifier && statement.Statement.TokenText(t).Equals("STDIN", StringComparison.OrdinalIgnoreCase));

    private void TrySetConfirmation(IReadOnlyList<AnalyzedStatement> statements)
    {
        foreach (var statement in statements.Where(s => s.Info.Kind == StatementKind.Set))
        {
            var tokens = statement.Statement.Tokens;
            var words = tokens.Select(t => statement.Statement.TokenText(t)).ToList();
            var at = words.FindIndex(w => w.Equals("backstop", StringComparison.OrdinalIgnoreCase));
            if (at >= 0 && at + 3 < words.Count && words[at + 1] == "." && words[at + 2].Equals("confirm", StringComparison.OrdinalIgnoreCase)
                && (words[at + 3] == "=" || words[at + 3].Equals("TO", StringComparison.OrdinalIgnoreCase)) && at + 4 < words.Count)
            {
                _confirmation = words[at + 4].Trim('\'', '"');
            }
        }
    }

    private void Forward(in MessageFrame frame) => Frames.Copy(frame, _toServer);

    private void WriteServer(FrontendMessage message)
    {
        var writer = new ProtocolWriter();
        message.WriteTo(writer);
        _toServer.Write(writer.WrittenSpan);
    }

    private void WriteClient(BackendMessage message)
    {
        var writer = new ProtocolWriter();
        message.WriteTo(writer);
        _out.Write(writer.WrittenSpan);
    }

    private async Task FlushClientAsync()
    {
        if (_toClient.WrittenCount > 0)
        {
            await _client.WriteAsync(_toClient.WrittenMemory);
            _toClient.ResetWrittenCount();
        }
    }

    private async Task FlushServerAsync()
    {
        if (_toServer.WrittenCount > 0)
        {
            await _upstream.Stream.WriteAsync(_toServer.WrittenMemory);
            _toServer.ResetWrittenCount();
        }
    }

    private async Task SendAsync(BackendMessage message, CancellationToken cancellationToken)
    {
        var writer = new ProtocolWriter();
        message.WriteTo(writer);
        await _client.WriteAsync(writer.WrittenMemory, cancellationToken);
    }

    private async Task TrySendAsync(BackendMessage message)
    {
        try
        {
            await FlushClientAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await SendAsync(message, timeout.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    /// <param name="Refusal">the proxy's refusal, when it sent the server a statement that fails in its place.</param>
    private sealed record PreparedStatement(string Sql, IReadOnlyList<int> Types, IReadOnlyList<AnalyzedStatement>? Statements, ErrorResponse? Refusal = null);

    private sealed record BoundPortal(string Statement, Bind Bind);

    private sealed record AuditPending(string Statement, string? Parameters, DateTimeOffset Started, long Clock, string Verdict, bool Audited)
    {
        public long Generation { get; init; }
    }
}
