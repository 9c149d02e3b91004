using System.IO.Pipelines;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Backstop.Proxy.Protocol;
using Backstop.Proxy.Protocol.Backend;
using Backstop.Proxy.Protocol.Frontend;
using Backstop.Proxy.Sessions;

namespace Backstop.Proxy.Upstream;

/// <summary>
/// The proxy's own connection to the environment's server, signed in with the environment's credentials (which the
/// client never sees): the startup message, then whichever authentication the server asks for — none (trust), a
/// cleartext password, MD5, or SCRAM-SHA-256 with the server's signature checked — until its first ReadyForQuery.
/// What the server said on the way (ParameterStatus, BackendKeyData) is kept for the client's own startup.
/// </summary>
internal sealed class UpstreamConnection : IAsyncDisposable
{
    private readonly Socket _socket;

    private UpstreamConnection(Socket socket, RelaySocketStream stream)
    {
        _socket = socket;
        Stream = stream;
        Reader = PipeReader.Create(stream);
    }

    /// <summary>Blocking until <see cref="RelaySocketStream.GoAsync"/> (see there why).</summary>
    public RelaySocketStream Stream { get; }

    /// <summary>What the server sends, after its first ReadyForQuery.</summary>
    public PipeReader Reader { get; }

    public List<ParameterStatus> Parameters { get; } = [];

    /// <summary>The upstream backend's cancel key: the proxy sends CancelRequest with it.</summary>
    public BackendKeyData? Key { get; private set; }

    public TransactionStatus Status { get; private set; } = TransactionStatus.Idle;

    /// <param name="host">a host name or address, or a directory holding the server's Unix socket.</param>
    /// <param name="parameters">the startup parameters besides user and database (application_name, client_encoding, …).</param>
    /// <exception cref="UpstreamException">the server cannot be reached, refuses the credentials, or breaks the protocol.</exception>
    public static async Task<UpstreamConnection> ConnectAsync(
        string host, int port, string database, string user, string? password, IReadOnlyList<KeyValuePair<string, string>> parameters, ProtocolLimits limits, CancellationToken cancellationToken)
    {
        var unix = host.StartsWith('/');
        var socket = unix ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // A blocking connect, on a thread of its own: an asynchronous one would tie the socket to .NET's epoll thread
            // for good (RelaySocketStream). Cancelling closes the socket, which ends the connect.
            using var abandon = cancellationToken.UnsafeRegister(static s => ((Socket)s!).Dispose(), socket);
            await Task.Factory.StartNew(() =>
            {
                if (unix)
                {
                    socket.Connect(new UnixDomainSocketEndPoint(Path.Combine(host, $".s.PGSQL.{port}")));
                }
                else
                {
                    socket.NoDelay = true;
                    socket.Connect(host, port);
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            socket.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
            throw new UpstreamException($"cannot reach the upstream server at {host}:{port} ({e.Message})", e);
        }

        var connection = new UpstreamConnection(socket, new RelaySocketStream(socket));
        try
        {
            await connection.StartAsync(database, user, password, parameters, limits, cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync(
        string database, string user, string? password, IReadOnlyList<KeyValuePair<string, string>> parameters, ProtocolLimits limits, CancellationToken cancellationToken)
    {
        List<KeyValuePair<string, string>> startup = [new("user", user), new("database", database), .. parameters.Where(p => p.Key is not ("user" or "database"))];
        await SendAsync(new StartupMessage(StartupMessage.Protocol30, startup), cancellationToken);
        var reader = new MessageReader(limits);
        ScramClient? scram = null;
        while (true)
        {
            var message = await ReadAsync(reader, cancellationToken);
            switch (message)
            {
                case AuthenticationOk:
                    break;
                case AuthenticationSasl sasl when sasl.Mechanisms.Contains("SCRAM-SHA-256"):
                    scram = new ScramClient(Required(password));
                    await SendAsync(new SaslInitialResponse("SCRAM-SHA-256", scram.ClientFirst()), cancellationToken);
                    break;
                case AuthenticationSasl sasl:
                    throw new UpstreamException($"the upstream server offers only {string.Join(", ", sasl.Mechanisms)}, and the proxy speaks SCRAM-SHA-256");
                case AuthenticationSaslContinue next when scram is not null:
                    await SendAsync(new SaslResponse(scram.ClientFinal(next.Data)), cancellationToken);
                    break;
                case AuthenticationSaslFinal final when scram is not null:
                    scram.CheckServerFinal(final.Data);
                    break;
                case RawMessage { Code: (byte)BackendMessageCode.Authentication } raw:
                    await AnswerPasswordAsync(raw.Payload, user, password, cancellationToken);
                    break;
                case ErrorResponse error:
                    throw new UpstreamException($"the upstream server refused the proxy: {error.Fields.Message} (SQLSTATE {error.Fields.SqlState})");
                case ParameterStatus parameter:
                    Parameters.Add(parameter);
                    break;
                case BackendKeyData key:
                    Key = key;
                    break;
                case ReadyForQuery ready:
                    Status = ready.Status;
                    return;
                case NoticeResponse or NegotiateProtocolVersion:
                    break;
                default:
                    throw new UpstreamException($"the upstream server sent an unexpected {message.GetType().Name} during startup");
            }
        }
    }

    /// <summary>AuthenticationCleartextPassword (3) and AuthenticationMD5Password (5, with a 4-byte salt).</summary>
    private async Task AnswerPasswordAsync(ReadOnlyMemory<byte> payload, string user, string? password, CancellationToken cancellationToken)
    {
        var type = payload.Length >= 4 ? System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(payload.Span) : -1;
        switch ((AuthenticationRequest)type)
        {
            case AuthenticationRequest.CleartextPassword:
                await SendAsync(new PasswordMessage(Required(password)), cancellationToken);
                break;
            case AuthenticationRequest.Md5Password when payload.Length == 8:
                // "md5" + md5(md5(password + user) + salt), in lowercase hex ("Message Flow", AuthenticationMD5Password).
#pragma warning disable CA5351 // PostgreSQL's MD5 authentication is the server's choice, not ours.
                var inner = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(Required(password) + user)));
                var outer = Convert.ToHexStringLower(MD5.HashData([.. Encoding.ASCII.GetBytes(inner), .. payload.Span[4..8]]));
#pragma warning restore CA5351
                await SendAsync(new PasswordMessage("md5" + outer), cancellationToken);
                break;
            default:
                throw new UpstreamException($"the upstream server asks for authentication type {type}, which the proxy does not speak (it speaks trust, password, md5 and SCRAM-SHA-256)");
        }
    }

    private static string Required(string? password) =>
        password ?? throw new UpstreamException("the upstream server asks for a password, and the environment's URL has none; give it in the URL (env:VAR or file:PATH)");

    private async Task SendAsync(FrontendMessage message, CancellationToken cancellationToken)
    {
        var writer = new ProtocolWriter();
        message.WriteTo(writer);
        await Stream.WriteAsync(writer.WrittenMemory, cancellationToken);
    }

    private async Task<BackendMessage> ReadAsync(MessageReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await Reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (reader.TryReadBackend(ref buffer, out var frame))
            {
                // Decoded before the buffer is given back; only what was read is consumed, so the messages behind it
                // are there for the next read without waiting for more bytes.
                var message = BackendMessageDecoder.Decode(frame);
                Reader.AdvanceTo(buffer.Start);
                return message;
            }

            Reader.AdvanceTo(buffer.Start, buffer.End);

            if (result.IsCompleted)
            {
                throw new UpstreamException("the upstream server closed the connection during startup");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Reader.CompleteAsync();
        await Stream.DisposeAsync();
        _socket.Dispose();
    }
}
