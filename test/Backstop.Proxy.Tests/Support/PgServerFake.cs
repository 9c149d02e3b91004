using Backstop.Core.Team;
using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Backstop.Proxy.Authentication;
using Backstop.Proxy.Protocol;
using Backstop.Proxy.Protocol.Backend;
using Backstop.Proxy.Protocol.Frontend;
using Backstop.Proxy.Startup;
using ProtocolViolationException = Backstop.Proxy.Protocol.ProtocolViolationException;

namespace Backstop.Proxy.Tests.Support;

/// <summary>
/// A tiny PostgreSQL server made of the proxy's protocol pieces, for real clients to talk to (after Npgsql's
/// PgServerMock, but playing a whole server): startup negotiation, SCRAM-SHA-256 against the verifiers it was given,
/// the usual ParameterStatus, BackendKeyData and ReadyForQuery, then simple queries of which it answers only
/// <c>SELECT 1</c>. Listens on 127.0.0.1, port 0; one task per connection.
/// </summary>
internal sealed class PgServerFake : IAsyncDisposable
{
    private delegate bool Framer(ref ReadOnlySequence<byte> buffer, out MessageFrame frame);

    private static readonly byte[] MockSecret = "the fake's mock-salt secret"u8.ToArray();

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IReadOnlyDictionary<string, ScramVerifier> _users;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private PgServerFake(IReadOnlyDictionary<string, ScramVerifier> users)
    {
        _users = users;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Every simple query received, in order.</summary>
    public ConcurrentQueue<string> Queries { get; } = new();

    /// <summary>The environment each authenticated session named in <c>database</c>.</summary>
    public ConcurrentQueue<string> Databases { get; } = new();

    /// <summary>Exceptions other than protocol violations: a bug in the fake or in the pieces it is made of.</summary>
    public ConcurrentQueue<Exception> Faults { get; } = new();

    public static PgServerFake Start(IReadOnlyDictionary<string, ScramVerifier> users) => new(users);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ServeAsync(client, _stop.Token);
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using var connection = client;
        var stream = client.GetStream();
        var reader = PipeReader.Create(stream);
        var writer = new ProtocolWriter();
        try
        {
            var start = await NegotiateAsync(reader, stream, cancellationToken);
            if (start is null)
            {
                return;
            }

            if (start.Negotiation is not null)
            {
                start.Negotiation.WriteTo(writer);
            }

            if (!await AuthenticateAsync(start.User, reader, stream, writer, cancellationToken))
            {
                return;
            }

            Databases.Enqueue(start.Database);
            await ServeQueriesAsync(reader, stream, writer, cancellationToken);
        }
        catch (ProtocolViolationException violation)
        {
            writer.Clear();
            ErrorResponse.Fatal(violation.SqlState, violation.Message).WriteTo(writer);
            await FlushAsync(stream, writer, cancellationToken);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            Faults.Enqueue(e);
        }
    }

    private static async Task<StartupStep.Start?> NegotiateAsync(PipeReader reader, NetworkStream stream, CancellationToken cancellationToken)
    {
        var negotiator = new StartupNegotiator(new StartupOptions());
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var step = negotiator.Next(ref buffer);
            reader.AdvanceTo(buffer.Start, buffer.End);
            switch (step)
            {
                case StartupStep.NeedMoreData when result.IsCompleted:
                    return null;
                case StartupStep.NeedMoreData:
                    continue;
                case StartupStep.AnswerEncryptionRequest answer:
                    await stream.WriteAsync(new[] { answer.Response }, cancellationToken);
                    continue;
                case StartupStep.Refuse refuse:
                    var writer = new ProtocolWriter();
                    refuse.Error.WriteTo(writer);
                    await FlushAsync(stream, writer, cancellationToken);
                    return null;
                case StartupStep.Start start:
                    return start;
                default:
                    return null;
            }
        }
    }

    private async Task<bool> AuthenticateAsync(string user, PipeReader reader, NetworkStream stream, ProtocolWriter writer, CancellationToken cancellationToken)
    {
        var exchange = _users.TryGetValue(user, out var verifier)
            ? ScramServerExchange.ForUser(verifier)
            : ScramServerExchange.ForUnknownUser(user, MockSecret);
        new AuthenticationSasl(ScramServerExchange.Mechanisms).WriteTo(writer);
        await FlushAsync(stream, writer, cancellationToken);

        var initial = await ReadAsync(reader, MessageReader.TryReadAuthentication, frame => SaslInitialResponse.Read(frame.Payload), cancellationToken);
        new AuthenticationSaslContinue(exchange.HandleInitialResponse(initial)).WriteTo(writer);
        await FlushAsync(stream, writer, cancellationToken);

        var final = await ReadAsync(reader, MessageReader.TryReadAuthentication, frame => SaslResponse.Read(frame.Payload), cancellationToken);
        var outcome = exchange.HandleClientFinal(final.Data);
        if (!outcome.Authenticated)
        {
            AuthenticationFailure.PasswordFailed(user).WriteTo(writer);
            await FlushAsync(stream, writer, cancellationToken);
            return false;
        }

        new AuthenticationSaslFinal(outcome.ServerFinalMessage!).WriteTo(writer);
        AuthenticationOk.Instance.WriteTo(writer);
        foreach (var (name, value) in new[]
                 {
                     ("server_version", "15.0"), ("server_encoding", "UTF8"), ("client_encoding", "UTF8"), ("DateStyle", "ISO, MDY"),
                     ("integer_datetimes", "on"), ("standard_conforming_strings", "on"), ("TimeZone", "UTC"), ("is_superuser", "off"),
                 })
        {
            new ParameterStatus(name, value).WriteTo(writer);
        }

        new BackendKeyData(Environment.ProcessId, [1, 2, 3, 4]).WriteTo(writer);
        new ReadyForQuery(TransactionStatus.Idle).WriteTo(writer);
        await FlushAsync(stream, writer, cancellationToken);
        return true;
    }

    private async Task ServeQueriesAsync(PipeReader reader, NetworkStream stream, ProtocolWriter writer, CancellationToken cancellationToken)
    {
        var messages = new MessageReader(ProtocolLimits.Default);
        while (true)
        {
            var message = await ReadAsync(reader, messages.TryReadFrontend, frame => FrontendMessageDecoder.Decode(frame), cancellationToken);
            switch (message)
            {
                case Terminate:
                    return;
                case Query query:
                    Queries.Enqueue(query.Sql);
                    if (string.Equals(query.Sql.Trim().TrimEnd(';'), "select 1", StringComparison.OrdinalIgnoreCase))
                    {
                        WriteSelectOne(writer);
                    }
                    else
                    {
                        ErrorResponse.Error("0A000", "the fake server answers only SELECT 1").WriteTo(writer);
                    }

                    new ReadyForQuery(TransactionStatus.Idle).WriteTo(writer);
                    await FlushAsync(stream, writer, cancellationToken);
                    break;
                default:
                    throw new ProtocolViolationException($"the fake server does not take {message.GetType().Name} messages");
            }
        }
    }

    /// <summary>RowDescription, DataRow and CommandComplete ("Message Formats"), which the proxy itself only relays.</summary>
    private static void WriteSelectOne(ProtocolWriter writer)
    {
        writer.StartMessage((byte)BackendMessageCode.RowDescription);
        writer.WriteInt16(1);
        writer.WriteCString("?column?");
        writer.WriteInt32(0);
        writer.WriteInt16(0);
        writer.WriteInt32(23);
        writer.WriteInt16(4);
        writer.WriteInt32(-1);
        writer.WriteInt16(0);
        writer.FinishMessage();

        writer.StartMessage((byte)BackendMessageCode.DataRow);
        writer.WriteInt16(1);
        writer.WriteInt32(1);
        writer.WriteBytes("1"u8);
        writer.FinishMessage();

        writer.StartMessage((byte)BackendMessageCode.CommandComplete);
        writer.WriteCString("SELECT 1");
        writer.FinishMessage();
    }

    /// <summary>Reads one framed message, decoding it before the pipe may reuse the bytes it lies in.</summary>
    private static async Task<T> ReadAsync<T>(PipeReader reader, Framer framer, Func<MessageFrame, T> decode, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (framer(ref buffer, out var frame))
            {
                var message = decode(frame);
                reader.AdvanceTo(buffer.Start);
                return message;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                throw new IOException("the client closed the connection");
            }
        }
    }

    private static async Task FlushAsync(NetworkStream stream, ProtocolWriter writer, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(writer.WrittenMemory, cancellationToken);
        writer.Clear();
    }
}
