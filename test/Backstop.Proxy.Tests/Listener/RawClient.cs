using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Backstop.Proxy.Tests.Support;

namespace Backstop.Proxy.Tests.Listener;

/// <summary>
/// A client that speaks the wire protocol byte by byte, so that a test can send exactly what it means to and read
/// exactly what came back. What it reads is parsed here, independently of the proxy's own decoders.
/// </summary>
internal sealed class RawClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;

    private RawClient(Socket socket)
    {
        _socket = socket;
        Stream = new NetworkStream(socket, ownsSocket: true);
    }

    public Stream Stream { get; private set; }

    public static async Task<RawClient> ConnectAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = new CancellationTokenSource(DefaultTimeout);
            await socket.ConnectAsync(endpoint, timeout.Token);
            return new RawClient(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Goes on over another stream (TLS) from here.</summary>
    public void Replace(Stream stream) => Stream = stream;

    public async Task SendAsync(params byte[][] parts)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await Stream.WriteAsync(Wire.Concat(parts), timeout.Token);
        await Stream.FlushAsync(timeout.Token);
    }

    /// <summary>Says that nothing more will be sent (a FIN), as a client that stops half-way through a message does.</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>One byte (the answer to an SSLRequest), or -1 when the connection was closed.</summary>
    public async Task<int> ReadByteAsync(TimeSpan? within = null)
    {
        var one = new byte[1];
        return await ReadAsync(one, within) ? one[0] : -1;
    }

    /// <summary>The next message, or null when the connection was closed at a message boundary.</summary>
    public async Task<BackendFrame?> ReadMessageAsync(TimeSpan? within = null)
    {
        var header = new byte[5];
        if (!await ReadAsync(header, within))
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
        Assert.InRange(length, 4, 1 << 20);
        var body = new byte[length - 4];
        Assert.True(await ReadAsync(body, within), $"the connection closed inside a '{(char)header[0]}' message");
        return new BackendFrame((char)header[0], body);
    }

    /// <summary>The next message, which must be an ErrorResponse; its fields by code (S, V, C, M, D, H, …).</summary>
    public async Task<ErrorReply> ReadErrorAsync(TimeSpan? within = null)
    {
        var frame = await ReadMessageAsync(within);
        Assert.True(frame is not null, "the connection closed without an ErrorResponse");
        Assert.True(frame!.Type == 'E', $"expected an ErrorResponse, got {frame}");
        return ErrorReply.Parse(frame.Body);
    }

    /// <summary>Asserts that the server closes the connection (EOF or a reset) within the time, sending nothing more.</summary>
    public async Task ExpectClosedAsync(TimeSpan? within = null)
    {
        var rest = new List<byte>();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(within ?? DefaultTimeout);
        try
        {
            while (true)
            {
                var read = await Stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                rest.AddRange(buffer.AsSpan(0, read));
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the server did not close the connection within {within ?? DefaultTimeout}");
        }
        catch (IOException)
        {
            // A reset is a close too: the server went away.
        }

        Assert.True(rest.Count == 0, $"the server sent {rest.Count} more bytes before closing: {Printable(rest)}");
    }

    /// <summary>A 3.0 StartupMessage with user and database (and any other parameters).</summary>
    public static byte[] Startup(string user, string database = "dev", params (string Name, string Value)[] more)
    {
        var pairs = new[] { (Name: "user", Value: user), (Name: "database", Value: database) }.Concat(more)
            .SelectMany(p => Wire.Concat(Wire.CString(p.Name), Wire.CString(p.Value))).ToArray();
        return Wire.Startup(Wire.Int32(196_608), pairs, [0]);
    }

    /// <summary>SASLInitialResponse: mechanism, then the client-first-message with its Int32 length.</summary>
    public static byte[] SaslInitial(string clientFirst, string mechanism = "SCRAM-SHA-256")
    {
        var bytes = Encoding.UTF8.GetBytes(clientFirst);
        return Wire.Message('p', Wire.CString(mechanism), Wire.Int32(bytes.Length), bytes);
    }

    /// <summary>SASLResponse: the client-final-message, the rest of the message.</summary>
    public static byte[] SaslResponse(string clientFinal) => Wire.Message('p', Encoding.UTF8.GetBytes(clientFinal));

    /// <summary>Sends the startup packet and reads AuthenticationSASL, which must offer SCRAM-SHA-256 alone.</summary>
    public async Task BeginScramAsync(string user)
    {
        await SendAsync(Startup(user));
        var sasl = await ReadMessageAsync();
        Assert.True(sasl is { Type: 'R' }, $"expected AuthenticationSASL, got {sasl?.ToString() ?? "the connection closed"}");
        Assert.Equal(10, sasl!.Int32At(0));
        Assert.Equal("SCRAM-SHA-256\0\0", Encoding.ASCII.GetString(sasl.Body, 4, sasl.Body.Length - 4));
    }

    /// <summary>Sends client-first and returns server-first (from AuthenticationSASLContinue).</summary>
    public async Task<string> SendClientFirstAsync(string clientFirst)
    {
        await SendAsync(SaslInitial(clientFirst));
        var next = await ReadMessageAsync();
        Assert.True(next is { Type: 'R' }, $"expected AuthenticationSASLContinue, got {next?.ToString() ?? "the connection closed"}");
        Assert.Equal(11, next!.Int32At(0));
        return Encoding.ASCII.GetString(next.Body, 4, next.Body.Length - 4);
    }

    /// <summary>
    /// The whole sign-in: startup, SCRAM-SHA-256 with the test client, then everything up to the first ReadyForQuery.
    /// Returns the messages after AuthenticationOk (ParameterStatus, BackendKeyData, ReadyForQuery).
    /// </summary>
    public async Task<IReadOnlyList<BackendFrame>> SignInAsync(string user = "alice", string password = ListenerBackend.AlicePassword)
    {
        await BeginScramAsync(user);
        var scram = new ScramTestClient(password, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(18)));
        var serverFirst = await SendClientFirstAsync(scram.ClientFirst());
        await SendAsync(SaslResponse(scram.ClientFinal(serverFirst)));
        var final = await ReadMessageAsync();
        Assert.True(final is { Type: 'R' } && final.Int32At(0) == 12, $"expected AuthenticationSASLFinal, got {final?.ToString() ?? "the connection closed"}");
        Assert.True(scram.VerifyServerFinal(Encoding.ASCII.GetString(final!.Body, 4, final.Body.Length - 4), serverFirst), "the server's signature does not verify");
        var ok = await ReadMessageAsync();
        Assert.True(ok is { Type: 'R' } && ok.Int32At(0) == 0, $"expected AuthenticationOk, got {ok?.ToString() ?? "the connection closed"}");
        var after = new List<BackendFrame>();
        while (true)
        {
            var frame = await ReadMessageAsync();
            Assert.True(frame is not null, "the connection closed before ReadyForQuery");
            Assert.True(frame!.Type != 'E', $"the sign-in failed: {frame}");
            after.Add(frame);
            if (frame.Type == 'Z')
            {
                return after;
            }
        }
    }

    private async Task<bool> ReadAsync(byte[] into, TimeSpan? within)
    {
        using var timeout = new CancellationTokenSource(within ?? DefaultTimeout);
        var at = 0;
        try
        {
            while (at < into.Length)
            {
                var read = await Stream.ReadAsync(into.AsMemory(at), timeout.Token);
                if (read == 0)
                {
                    Assert.True(at == 0, $"the connection closed after {at} of {into.Length} bytes");
                    return false;
                }

                at += read;
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"nothing (or not enough) came from the server within {within ?? DefaultTimeout}: {at} of {into.Length} bytes");
        }
        catch (IOException) when (at == 0)
        {
            return false;
        }

        return true;
    }

    private static string Printable(IEnumerable<byte> bytes) =>
        new(bytes.Take(200).Select(b => b is >= 0x20 and < 0x7f ? (char)b : '.').ToArray());

    public async ValueTask DisposeAsync() => await Stream.DisposeAsync();
}

/// <summary>A message from the server: its type byte and body.</summary>
internal sealed record BackendFrame(char Type, byte[] Body)
{
    public int Int32At(int offset) => BinaryPrimitives.ReadInt32BigEndian(Body.AsSpan(offset));

    public override string ToString() =>
        Type == 'E' ? $"ErrorResponse {ErrorReply.Parse(Body)}" : $"'{Type}' ({Body.Length} bytes)";
}

/// <summary>The fields of an ErrorResponse, as PostgreSQL's send_message_to_frontend writes them.</summary>
internal sealed record ErrorReply(IReadOnlyDictionary<char, string> Fields)
{
    public string? Severity => Fields.GetValueOrDefault('V') ?? Fields.GetValueOrDefault('S');

    public string? LocalizedSeverity => Fields.GetValueOrDefault('S');

    public string? Code => Fields.GetValueOrDefault('C');

    public string? Message => Fields.GetValueOrDefault('M');

    public static ErrorReply Parse(byte[] body)
    {
        var fields = new Dictionary<char, string>();
        var at = 0;
        while (true)
        {
            Assert.True(at < body.Length, "an ErrorResponse without its terminating zero byte");
            var code = (char)body[at++];
            if (code == '\0')
            {
                Assert.True(at == body.Length, "bytes after the terminator of an ErrorResponse");
                return new ErrorReply(fields);
            }

            var end = Array.IndexOf(body, (byte)0, at);
            Assert.True(end >= 0, $"field '{code}' of an ErrorResponse is not NUL-terminated");
            fields[code] = Encoding.UTF8.GetString(body, at, end - at);
            at = end + 1;
        }
    }

    public override string ToString() => string.Join(" ", Fields.Select(f => $"{f.Key}={f.Value}"));
}
