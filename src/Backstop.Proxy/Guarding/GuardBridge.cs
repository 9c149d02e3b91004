using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Security.Cryptography;
using Backstop.Proxy.Protocol;
using Backstop.Proxy.Protocol.Backend;
using Backstop.Proxy.Protocol.Frontend;
using Npgsql;

namespace Backstop.Proxy.Guarding;

/// <summary>
/// Lends a client's own upstream connection to Npgsql for the length of one guarded statement, so that the statement
/// guard of the lifecycle (which speaks Npgsql) runs inside the client's session and transaction, on the same backend.
/// </summary>
/// <remarks>
/// Npgsql connects to this bridge over a Unix socket in a directory only this process's user may enter. The bridge
/// plays the server's startup itself (the one-time key of the lease is the password: a stranger on the socket gets
/// nothing), reports the upstream session's parameters, and from then on passes Npgsql's messages to the upstream
/// backend and the backend's answers back, until Npgsql sends Terminate, which the bridge keeps: the upstream session
/// stays the client's. The client's session waits meanwhile; nothing else reads or writes its upstream connection.
/// One data source serves every lease, so Npgsql sets itself up once per process.
/// </remarks>
internal sealed class GuardBridge : IAsyncDisposable
{
    private readonly string _directory;
    private readonly Socket _listener;
    private readonly NpgsqlDataSource _dataSource;
    private readonly ConcurrentDictionary<string, BridgeLease> _leases = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private static readonly AsyncLocal<string?> LeaseKey = new();

    public GuardBridge()
    {
        _directory = Directory.CreateTempSubdirectory("backstop-bridge-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(Path.Combine(_directory, ".s.PGSQL.5432")));
        _listener.Listen(64);
        var builder = new NpgsqlDataSourceBuilder(new NpgsqlConnectionStringBuilder
        {
            Host = _directory,
            Port = 5432,
            Username = "backstop-guard",
            Database = "backstop-guard",
            Pooling = false,
            SslMode = SslMode.Disable,
            GssEncryptionMode = GssEncryptionMode.Disable,
            IncludeErrorDetail = true,
            NoResetOnClose = true,
            MaxAutoPrepare = 0,
            CommandTimeout = 0,
            Timeout = 15,
        }.ConnectionString);
        builder.ConfigureTypeLoading(types => types.EnableTypeLoading(false));
        builder.UsePasswordProvider(_ => LeaseKey.Value ?? "", (_, _) => ValueTask.FromResult(LeaseKey.Value ?? ""));
        _dataSource = builder.Build();
        _accepting = AcceptAsync();
    }

    /// <summary>
    /// Opens an Npgsql connection onto <paramref name="upstream"/>, lent to it. Until <see cref="BridgeLease.ReturnAsync"/>
    /// (or the connection is disposed and <see cref="BridgeLease.Completion"/> is done), nothing else may use the
    /// upstream connection.
    /// </summary>
    public async Task<(NpgsqlConnection Connection, BridgeLease Lease)> LeaseAsync(IBridgedUpstream upstream, CancellationToken cancellationToken)
    {
        var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var lease = new BridgeLease(upstream);
        _leases[key] = lease;
        LeaseKey.Value = key;
        try
        {
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            return (connection, lease);
        }
        catch
        {
            lease.Fail();
            throw;
        }
        finally
        {
            LeaseKey.Value = null;
            _leases.TryRemove(key, out _);
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var reader = PipeReader.Create(stream);
        BridgeLease? lease = null;
        try
        {
            lease = await StartAsync(reader, stream);
            if (lease is not null)
            {
                await lease.RunAsync(reader, stream);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ProtocolViolationException or SocketException or ObjectDisposedException)
        {
            lease?.Fail();
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    /// <summary>The server's side of Npgsql's startup: the lease's key as a cleartext password, then the upstream's parameters.</summary>
    private async Task<BridgeLease?> StartAsync(PipeReader reader, NetworkStream stream)
    {
        var writer = new ProtocolWriter();
        while (true)
        {
            var result = await reader.ReadAsync(_stop.Token);
            var buffer = result.Buffer;
            if (!MessageReader.TryReadStartup(ref buffer, out var request))
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return null;
                }

                continue;
            }

            reader.AdvanceTo(buffer.Start);
            if (request is SslRequest or GssEncRequest)
            {
                await stream.WriteAsync(new[] { (byte)'N' }, _stop.Token);
                continue;
            }

            if (request is not StartupMessage)
            {
                return null;
            }

            break;
        }

        writer.StartMessage((byte)BackendMessageCode.Authentication);
        writer.WriteInt32((int)AuthenticationRequest.CleartextPassword);
        writer.FinishMessage();
        await stream.WriteAsync(writer.WrittenMemory, _stop.Token);
        writer.Clear();

        var password = await ReadPasswordAsync(reader);
        if (password is null || !_leases.TryGetValue(password, out var lease))
        {
            ErrorResponse.Fatal("28P01", "unknown guard lease").WriteTo(writer);
            await stream.WriteAsync(writer.WrittenMemory, _stop.Token);
            return null;
        }

        AuthenticationOk.Instance.WriteTo(writer);
        foreach (var (name, value) in lease.Upstream.Parameters)
        {
            new ParameterStatus(name, name == "client_encoding" ? "UTF8" : value).WriteTo(writer);
        }

        new BackendKeyData(0, new byte[4]).WriteTo(writer);
        // Idle, whatever the upstream session's state: Npgsql refuses to open into a transaction block, and learns the
        // real status from the ReadyForQuery of its first command.
        new ReadyForQuery(TransactionStatus.Idle).WriteTo(writer);
        await stream.WriteAsync(writer.WrittenMemory, _stop.Token);
        return lease;
    }

    private async Task<string?> ReadPasswordAsync(PipeReader reader)
    {
        while (true)
        {
            var result = await reader.ReadAsync(_stop.Token);
            var buffer = result.Buffer;
            if (MessageReader.TryReadAuthentication(ref buffer, out var frame))
            {
                var password = PasswordMessage.Read(frame.Payload).Password;
                reader.AdvanceTo(buffer.Start);
                return password;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        await _dataSource.DisposeAsync();
        _stop.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>What a session lends the bridge: its upstream connection and the state it keeps of it.</summary>
internal interface IBridgedUpstream
{
    /// <summary>The upstream session's parameters as the server last reported them.</summary>
    IEnumerable<(string Name, string Value)> Parameters { get; }

    TransactionStatus Status { get; }

    PipeReader Reader { get; }

    Stream Writer { get; }

    /// <summary>A message the upstream sent while lent (ReadyForQuery, ParameterStatus): the session keeps its state.</summary>
    void Observe(byte code, ReadOnlySequence<byte> payload);
}

/// <summary>
/// One upstream connection lent to Npgsql: relays Npgsql's messages to it, and, while lent, its answers back, until
/// Terminate. A session keeps its Npgsql connection for its length and lends the upstream anew for every guarded
/// statement (<see cref="LendAsync"/>, <see cref="ReturnAsync"/>): opening one through the bridge cost a millisecond.
/// </summary>
internal sealed class BridgeLease(IBridgedUpstream upstream)
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<NetworkStream> _running = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private Task? _answers;

    public IBridgedUpstream Upstream => upstream;

    /// <summary>Done when Npgsql has let go of the upstream connection (Terminate, or its socket closed).</summary>
    public Task Completion => _done.Task;

    public void Fail()
    {
        _running.TrySetCanceled();
        _done.TrySetResult();
    }

    public async Task RunAsync(PipeReader fromNpgsql, NetworkStream toNpgsql)
    {
        lock (_gate)
        {
            _answers = RelayAnswersAsync(toNpgsql);
        }

        _running.TrySetResult(toNpgsql);
        try
        {
            await RelayRequestsAsync(fromNpgsql);
        }
        finally
        {
            await ReturnAsync();
            _done.TrySetResult();
        }
    }

    /// <summary>
    /// Gives the upstream back to its session: from here on the session reads it, and nothing of it reaches Npgsql until
    /// <see cref="LendAsync"/>. Npgsql must have had all its answers (the guard has finished with it).
    /// </summary>
    public async Task ReturnAsync()
    {
        Task? answers;
        lock (_gate)
        {
            (answers, _answers) = (_answers, null);
        }

        if (answers is null)
        {
            return;
        }

        // Ends the relay's read; consumed by it, so the session's next read of its upstream connection is a real one.
        upstream.Reader.CancelPendingRead();
        try
        {
            await answers;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Lends the upstream to Npgsql again: its answers are relayed until <see cref="ReturnAsync"/>.</summary>
    public async Task LendAsync()
    {
        var toNpgsql = await _running.Task;
        lock (_gate)
        {
            _answers ??= RelayAnswersAsync(toNpgsql);
        }
    }

    private async Task RelayRequestsAsync(PipeReader fromNpgsql)
    {
        var messages = new MessageReader(ProtocolLimits.Default with { MaxMessageLength = ProtocolLimits.PostgresLargeMessageLimit });
        var output = new ArrayBufferWriter<byte>();
        while (true)
        {
            var result = await fromNpgsql.ReadAsync();
            var buffer = result.Buffer;
            var terminated = false;
            while (messages.TryReadFrontend(ref buffer, out var frame))
            {
                if (frame.Code == (byte)FrontendMessageCode.Terminate)
                {
                    terminated = true;
                    break;
                }

                Frames.Copy(frame, output);
            }

            fromNpgsql.AdvanceTo(buffer.Start, buffer.End);
            if (output.WrittenCount > 0)
            {
                await upstream.Writer.WriteAsync(output.WrittenMemory);
                output.ResetWrittenCount();
            }

            if (terminated || result.IsCompleted)
            {
                return;
            }
        }
    }

    private async Task RelayAnswersAsync(NetworkStream toNpgsql)
    {
        var messages = new MessageReader(ProtocolLimits.Default);
        var output = new ArrayBufferWriter<byte>();
        // Ends only when RunAsync cancels the pending read: that consumes the cancellation, so the session's next read
        // of its upstream connection is a real one.
        while (true)
        {
            var result = await upstream.Reader.ReadAsync(CancellationToken.None);
            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                upstream.Reader.AdvanceTo(buffer.Start);
                return;
            }

            while (messages.TryReadBackend(ref buffer, out var frame))
            {
                upstream.Observe(frame.Code, frame.Payload);
                Frames.Copy(frame, output);
            }

            upstream.Reader.AdvanceTo(buffer.Start, buffer.End);
            if (output.WrittenCount > 0)
            {
                await toNpgsql.WriteAsync(output.WrittenMemory, CancellationToken.None);
                output.ResetWrittenCount();
            }

            if (result.IsCompleted)
            {
                throw new IOException("the upstream server closed the connection");
            }
        }
    }
}

/// <summary>Writing a framed message out again as it came: type byte, length, contents.</summary>
internal static class Frames
{
    public static void Copy(in MessageFrame frame, IBufferWriter<byte> output)
    {
        var length = (int)frame.Payload.Length;
        var header = output.GetSpan(5);
        header[0] = frame.Code;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header[1..], length + 4);
        output.Advance(5);
        foreach (var segment in frame.Payload)
        {
            output.Write(segment.Span);
        }
    }
}
