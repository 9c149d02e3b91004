using System.Buffers;
using System.IO.Pipelines;
using System.Globalization;
using System.Text;
using Backstop.Core.Guard;
using Backstop.Proxy.Protocol;
using Backstop.Proxy.Protocol.Backend;
using Backstop.Proxy.Protocol.Frontend;
using Backstop.Proxy.Upstream;
using Npgsql;

namespace Backstop.Proxy.Guarding;

/// <summary>
/// The one-run way's pipelines written straight onto a person's upstream connection, and the answers read there, on the
/// session's own flow: one round trip with nothing between the proxy and the backend. Lent to Npgsql through the
/// <see cref="GuardBridge"/>, the same round trip passed through a Unix socket and two relays more, each a wake of a
/// thread (docs/benchmarks.md). Every statement is Parse, Bind (parameters and results in text), Describe and Execute
/// of the unnamed statement and portal, with one Sync at the end, as Npgsql sends a batch; the session restores the
/// client's unnamed statement afterwards, as it does after the bridge.
/// </summary>
/// <param name="session">the session whose upstream connection it is: the wire writes and reads there through it, and
/// it is told of what changes its view of the upstream and of what is the client's.</param>
internal sealed class UpstreamWire(IWireSession session) : IOneRunWire
{
    private const int Uuid = 2950;
    private const int Text = 25;
    private const int Int8 = 20;

    private readonly MessageReader _messages = new(ProtocolLimits.Default);
    private readonly ProtocolWriter _writer = new(1024);

    public async Task<WireReply> RunAsync(IReadOnlyList<WireStatement> statements, CancellationToken cancellationToken)
    {
        _writer.Clear();
        foreach (var statement in statements)
        {
            new Parse("", statement.Sql, [.. statement.Parameters.Select(TypeOf)]).WriteTo(_writer);
            new Bind("", "", statement.Parameters.Length == 0 ? [] : [0], [.. statement.Parameters.Select(ValueOf)], [0]).WriteTo(_writer);
            new Describe(PortalOrStatement.Portal, "").WriteTo(_writer);
            new Execute("", 0).WriteTo(_writer);
        }

        Sync.Instance.WriteTo(_writer);

        // Not cancelled once written: the answers must be read to the end, or the session would read them as its own.
        await session.SendAsync(_writer.WrittenMemory);
        return await ReadAsync(statements.Count);
    }

    private async Task<WireReply> ReadAsync(int count)
    {
        var sets = new List<WireRows>();
        var tags = new string?[count];
        var index = 0;
        PostgresException? error = null;
        int? failed = null;
        var clientFailed = false;
        List<string>? columns = null;
        List<string?[]>? rows = null;
        while (true)
        {
            var result = await session.ReadAsync();
            var buffer = result.Buffer;
            var done = false;
            try
            {
                while (!done && _messages.TryReadBackend(ref buffer, out var frame))
                {
                    if (session.Owed)
                    {
                        // An answer to the client's own messages, sent before the guard's: the client's.
                        clientFailed |= session.Relay(frame);
                        continue;
                    }

                    switch ((BackendMessageCode)frame.Code)
                    {
                        case BackendMessageCode.RowDescription:
                            columns = ColumnNames(frame.Payload);
                            rows = [];
                            break;
                        case BackendMessageCode.NoData:
                            columns = null;
                            break;
                        case BackendMessageCode.DataRow when rows is not null && WireRows.Kept(columns!):
                            rows.Add(Row(frame.Payload));
                            break;
                        case BackendMessageCode.CommandComplete:
                            if (index < count)
                            {
                                tags[index] = NullTerminated(frame.Payload);
                            }

                            if (columns is not null)
                            {
                                sets.Add(new WireRows(columns, rows!));
                            }

                            columns = null;
                            rows = null;
                            index++;
                            break;
                        case BackendMessageCode.EmptyQueryResponse:
                            index++;
                            break;
                        case BackendMessageCode.ErrorResponse:
                            error = Exception(ErrorResponse.Read(frame.Payload).Fields);
                            failed = index;
                            break;
                        case BackendMessageCode.ParameterStatus:
                            session.Observe(frame.Code, frame.Payload);
                            break;
                        case BackendMessageCode.NotificationResponse:
                            session.Notify(frame);
                            break;
                        case BackendMessageCode.ReadyForQuery:
                            session.Observe(frame.Code, frame.Payload);
                            done = true;
                            break;
                    }
                }
            }
            finally
            {
                session.AdvanceTo(buffer.Start, buffer.End);
            }

            if (done)
            {
                // After an error of the client's, the server discarded the guard's pipeline until its Sync.
                return clientFailed ? throw new ClientMessagesFailedException() : new WireReply(sets, tags, error, failed);
            }

            if (result.IsCompleted)
            {
                throw new UpstreamException("the upstream server closed the connection");
            }
        }
    }

    private static int TypeOf(object value) => value switch
    {
        Guid => Uuid,
        string => Text,
        long => Int8,
        _ => throw new ArgumentException($"the one-run wire sends uuid, text and bigint parameters, not {value.GetType().Name}", nameof(value)),
    };

    private static byte[] ValueOf(object value) => Encoding.UTF8.GetBytes(value switch
    {
        Guid id => id.ToString(),
        long number => number.ToString(CultureInfo.InvariantCulture),
        _ => (string)value,
    });

    private static PostgresException Exception(ErrorFields fields) =>
        new(fields.Message ?? "", fields.Get(ErrorField.Severity) ?? "ERROR", fields.Severity ?? "ERROR", fields.SqlState ?? "XX000", fields.Detail, fields.Hint);

    /// <summary>RowDescription (B): Int16 fields, each a name then 18 bytes of table, column, type, size, modifier and format.</summary>
    private static List<string> ColumnNames(ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        if (!reader.TryReadBigEndian(out short count) || count < 0)
        {
            throw new ProtocolViolationException("RowDescription without its field count");
        }

        var names = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            if (!reader.TryReadTo(out ReadOnlySequence<byte> name, 0) || reader.Remaining < 18)
            {
                throw new ProtocolViolationException("RowDescription cut short");
            }

            names.Add(Encoding.UTF8.GetString(name));
            reader.Advance(18);
        }

        return names;
    }

    /// <summary>DataRow (B): Int16 columns, each an Int32 length (-1: NULL) and that many bytes, in text here.</summary>
    private static string?[] Row(ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        if (!reader.TryReadBigEndian(out short count) || count < 0)
        {
            throw new ProtocolViolationException("DataRow without its column count");
        }

        var values = new string?[count];
        for (var i = 0; i < count; i++)
        {
            if (!reader.TryReadBigEndian(out int length) || length < -1 || reader.Remaining < Math.Max(length, 0))
            {
                throw new ProtocolViolationException("DataRow cut short");
            }

            if (length >= 0)
            {
                values[i] = Encoding.UTF8.GetString(reader.UnreadSequence.Slice(0, length));
                reader.Advance(length);
            }
        }

        return values;
    }

    private static string NullTerminated(ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        return reader.TryReadTo(out ReadOnlySequence<byte> text, 0) ? Encoding.UTF8.GetString(text) : Encoding.UTF8.GetString(payload);
    }
}

/// <summary>The side of a person's session an <see cref="UpstreamWire"/> runs on.</summary>
internal interface IWireSession
{
    /// <summary>Whether the server still owes answers to the client's own messages, sent before the guard's.</summary>
    bool Owed { get; }

    /// <summary>One answer to the client's messages: the session relays it, as any other.</summary>
    /// <returns>whether it was an error, after which the server discards what follows until Sync.</returns>
    bool Relay(in MessageFrame frame);

    /// <summary>A message that changes the session's view of its upstream (ReadyForQuery, ParameterStatus).</summary>
    void Observe(byte code, ReadOnlySequence<byte> payload);

    /// <summary>A NotificationResponse that came meanwhile, for the client.</summary>
    void Notify(in MessageFrame frame);

    /// <summary>Writes the guard's messages upstream, after what of the client's the session still holds, in one write.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> bytes);

    /// <summary>The next read of the upstream connection: the session's own read in flight, if it has one.</summary>
    ValueTask<ReadResult> ReadAsync();

    void AdvanceTo(SequencePosition consumed, SequencePosition examined);
}

/// <summary>
/// A message of the client's sent before the guarded statement failed: its error went to the client, the server
/// discarded the guard's statements until their Sync, and nothing of the guarded statement ran.
/// </summary>
internal sealed class ClientMessagesFailedException() : Exception("a message the client sent before the guarded statement failed; the statement was not run");
