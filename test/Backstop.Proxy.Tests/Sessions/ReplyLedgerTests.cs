using Backstop.Proxy.Protocol;
using Backstop.Proxy.Protocol.Backend;
using Backstop.Proxy.Protocol.Frontend;
using Backstop.Proxy.Sessions;
using Backstop.Proxy.Upstream;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Proxy.Tests.Sessions;

/// <summary>
/// The ledger a person's session keeps of what the server owes: a guard must not start while anything the client sent
/// is unanswered, or it would read the client's answers as its own and the client would wait for them forever.
/// </summary>
public sealed class ReplyLedgerTests
{
    [Fact]
    public void A_simple_querys_ReadyForQuery_leaves_the_extended_messages_pipelined_behind_it_owed()
    {
        // What Npgsql sends for a command in a transaction it began: BEGIN as a Query, then the command, in one write.
        var ledger = new ReplyLedger();
        ledger.ExpectReady();
        for (var i = 0; i < 3; i++)
        {
            ledger.Expect();
        }

        Assert.Equal(ReplyLedger.Answer.Uncounted, ledger.Completed()); // BEGIN's CommandComplete
        Assert.False(ledger.Ready());
        Assert.False(ledger.Quiet);
        Assert.Equal(ReplyLedger.Answer.Client, ledger.Completed()); // ParseComplete
        Assert.Equal(ReplyLedger.Answer.Client, ledger.Completed()); // BindComplete
        Assert.False(ledger.Quiet);
        Assert.Equal(ReplyLedger.Answer.Client, ledger.Completed()); // NoData
        Assert.True(ledger.Quiet);
    }

    [Fact]
    public void An_error_discards_the_rest_of_its_segment_until_Sync_and_nothing_after_it()
    {
        var ledger = new ReplyLedger();
        ledger.Expect();
        ledger.Expect();
        ledger.Expect();
        ledger.ExpectReady();
        ledger.Expect();
        ledger.Expect();

        Assert.Equal(ReplyLedger.Answer.Client, ledger.Completed());
        Assert.True(ledger.Failed());
        Assert.False(ledger.Ready());
        Assert.False(ledger.Quiet);
        Assert.False(ledger.Discarding);
        Assert.Equal(ReplyLedger.Answer.Client, ledger.Completed());
        Assert.Equal(ReplyLedger.Answer.Client, ledger.Completed());
        Assert.True(ledger.Quiet);
    }

    [Fact]
    public void An_error_before_Sync_makes_the_server_discard_what_is_sent_until_Sync()
    {
        var ledger = new ReplyLedger();
        ledger.Expect();
        ledger.Expect();
        Assert.True(ledger.OpenAwaitsFlush);
        Assert.True(ledger.Failed());
        Assert.True(ledger.Discarding);
        Assert.True(ledger.Quiet);

        // Sent after the error and before Sync: skipped by the server, so owed by nobody.
        ledger.Expect();
        Assert.True(ledger.Quiet);
        ledger.ExpectReady();
        Assert.False(ledger.Ready());
        Assert.False(ledger.Discarding);
        ledger.Expect();
        Assert.False(ledger.Quiet);
    }

    [Fact]
    public void A_simple_querys_error_is_its_own_and_discards_nothing()
    {
        var ledger = new ReplyLedger();
        ledger.ExpectReady();
        Assert.False(ledger.Failed());
        ledger.Expect();
        Assert.False(ledger.Ready());
        Assert.False(ledger.Discarding);
        Assert.Equal(ReplyLedger.Answer.Client, ledger.Completed());
        Assert.True(ledger.Quiet);
    }

    [Fact]
    public void The_proxys_own_messages_are_answered_silently_in_their_place()
    {
        var ledger = new ReplyLedger();
        ledger.Expect(own: true);
        ledger.Expect();
        ledger.ExpectReady(own: true);
        ledger.ExpectReady();
        Assert.Equal(ReplyLedger.Answer.Own, ledger.Completed());
        Assert.Equal(ReplyLedger.Answer.Client, ledger.Completed());
        Assert.True(ledger.Ready());
        Assert.False(ledger.Ready());
        Assert.True(ledger.Quiet);
    }

    /// <summary>
    /// After an error among extended messages PostgreSQL ignores everything until Sync, a Query too, which then gets no
    /// ReadyForQuery: the ledger must not wait for one (the session would wait for it forever). The real server says so.
    /// </summary>
    [Fact]
    public async Task A_Query_the_server_ignores_while_it_discards_until_Sync_is_owed_nothing()
    {
        var database = await PostgresSandbox.CreateDatabaseAsync("ledger");
        var builder = new NpgsqlConnectionStringBuilder(database);
        await using var upstream = await UpstreamConnection.ConnectAsync(
            builder.Host!, builder.Port, builder.Database!, builder.Username!, builder.Password, [], ProtocolLimits.Default, CancellationToken.None);
        var ledger = new ReplyLedger();
        var writer = new ProtocolWriter();
        new Parse("", "SELECT 1/0", []).WriteTo(writer);
        ledger.Expect();
        new Bind("", "", [], [], []).WriteTo(writer);
        ledger.Expect();
        new Execute("", 0).WriteTo(writer);
        ledger.Expect();
        new Query("SELECT 2").WriteTo(writer);
        ledger.ExpectReady(sync: false);
        new Parse("", "SELECT 3", []).WriteTo(writer);
        ledger.Expect();
        Sync.Instance.WriteTo(writer);
        ledger.ExpectReady();
        new Query("SELECT 4").WriteTo(writer);
        ledger.ExpectReady(sync: false);
        await upstream.Stream.WriteAsync(writer.WrittenMemory);

        var seen = new List<char>();
        var messages = new MessageReader(ProtocolLimits.Default);
        while (!ledger.Quiet)
        {
            var result = await upstream.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            var buffer = result.Buffer;
            while (!ledger.Quiet && messages.TryReadBackend(ref buffer, out var frame))
            {
                seen.Add((char)frame.Code);
                switch ((BackendMessageCode)frame.Code)
                {
                    case BackendMessageCode.ReadyForQuery:
                        Assert.False(ledger.Ready());
                        break;
                    case BackendMessageCode.ErrorResponse:
                        ledger.Failed();
                        break;
                    case BackendMessageCode.ParseComplete or BackendMessageCode.BindComplete or BackendMessageCode.RowDescription
                        or BackendMessageCode.CommandComplete:
                        ledger.Completed();
                        break;
                }
            }

            upstream.Reader.AdvanceTo(buffer.Start, buffer.End);
        }

        // ParseComplete, the error (1/0 is folded when the statement is planned, at Bind); then Sync's ReadyForQuery
        // alone, SELECT 2 and the Parse of SELECT 3 ignored; then SELECT 4's answers.
        Assert.Equal("1EZTDCZ", new string([.. seen]));
        Assert.Equal(0, ledger.ReadyOwed);
    }

    /// <summary>
    /// PostgreSQL itself is the oracle: random pipelines of simple queries and extended-protocol segments, with
    /// statements that fail at Parse, at Bind and at Execute, are written in one go (the ledger told of all of them
    /// first, as when a client pipelines), and every answer the server gives is put to the ledger. The k-th completion
    /// of a segment answers its k-th message; a simple query's messages are its own; the ledger is quiet only once the
    /// last ReadyForQuery came.
    /// </summary>
    [Fact]
    public async Task Against_a_real_server_every_answer_of_random_pipelines_is_placed_where_it_belongs()
    {
        var database = await PostgresSandbox.CreateDatabaseAsync("ledger");
        var builder = new NpgsqlConnectionStringBuilder(database);
        await using var upstream = await UpstreamConnection.ConnectAsync(
            builder.Host!, builder.Port, builder.Database!, builder.Username!, builder.Password, [], ProtocolLimits.Default, CancellationToken.None);
        var random = new Random(16);
        var messages = new MessageReader(ProtocolLimits.Default);

        for (var round = 0; round < 150; round++)
        {
            var ledger = new ReplyLedger();
            var writer = new ProtocolWriter();
            var segments = new List<(bool Simple, List<bool> Own)>();
            var open = new List<bool>();
            for (var part = random.Next(1, 6); part > 0; part--)
            {
                if (random.Next(3) == 0)
                {
                    // A simple query: a read, a failing one, or several statements.
                    new Query(random.Next(3) switch { 0 => "SELECT 1", 1 => "SELECT 1/0", _ => "SELECT 1; SELECT 2, 3" }).WriteTo(writer);
                    ledger.ExpectReady();
                    segments.Add((true, []));
                    continue;
                }

                for (var statement = random.Next(1, 4); statement > 0; statement--)
                {
                    var own = random.Next(4) == 0;
                    var sql = random.Next(6) switch
                    {
                        0 => "SELEC 1", // fails at Parse
                        1 => "SELECT 1/$1::int", // fails at Execute with 0
                        2 => "SELECT $1::int", // fails at Bind with 'x'
                        _ => "SELECT generate_series(1, 3)",
                    };
                    new Parse("", sql, []).WriteTo(writer);
                    ledger.Expect(own);
                    open.Add(own);
                    byte[]?[] values = sql.Contains("$1", StringComparison.Ordinal) ? [random.Next(2) == 0 ? "0"u8.ToArray() : "x"u8.ToArray()] : [];
                    new Bind("", "", [], values, []).WriteTo(writer);
                    ledger.Expect();
                    open.Add(false);
                    new Describe(random.Next(2) == 0 ? PortalOrStatement.Portal : PortalOrStatement.Statement, "").WriteTo(writer);
                    ledger.Expect();
                    open.Add(false);
                    if (random.Next(4) == 0)
                    {
                        Flush.Instance.WriteTo(writer);
                    }

                    new Execute("", random.Next(3) == 0 ? 2 : 0).WriteTo(writer);
                    ledger.Expect();
                    open.Add(false);
                }

                Sync.Instance.WriteTo(writer);
                ledger.ExpectReady();
                segments.Add((false, open));
                open = [];
            }

            await upstream.Stream.WriteAsync(writer.WrittenMemory);

            // The server's answers, in order, each put to the ledger as the session does.
            var segment = 0;
            var completion = 0;
            var failed = false;
            while (segment < segments.Count)
            {
                var result = await upstream.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
                var buffer = result.Buffer;
                while (segment < segments.Count && messages.TryReadBackend(ref buffer, out var frame))
                {
                    var (simple, own) = segments[segment];
                    Assert.False(ledger.Quiet, $"round {round}: quiet before the answers of segment {segment} came");
                    switch ((BackendMessageCode)frame.Code)
                    {
                        case BackendMessageCode.ReadyForQuery:
                            Assert.False(ledger.Ready(), $"round {round}: a ReadyForQuery of the client's taken as the proxy's");
                            Assert.Equal(segments.Count - segment - 1, ledger.ReadyOwed);
                            segment++;
                            completion = 0;
                            failed = false;
                            break;
                        case BackendMessageCode.ErrorResponse:
                            Assert.Equal(!simple, ledger.Failed());
                            failed = true;
                            break;
                        case BackendMessageCode.ParseComplete or BackendMessageCode.BindComplete or BackendMessageCode.CloseComplete
                            or BackendMessageCode.NoData or BackendMessageCode.PortalSuspended or BackendMessageCode.RowDescription
                            or BackendMessageCode.CommandComplete or BackendMessageCode.EmptyQueryResponse:
                            var answer = ledger.Completed();
                            if (simple)
                            {
                                Assert.Equal(ReplyLedger.Answer.Uncounted, answer);
                            }
                            else
                            {
                                Assert.False(failed, $"round {round}: an answer after an error before Sync");
                                var expected = own[completion++] ? ReplyLedger.Answer.Own : ReplyLedger.Answer.Client;
                                Assert.Equal(expected, answer);
                            }

                            break;
                    }
                }

                upstream.Reader.AdvanceTo(buffer.Start, buffer.End);
            }

            Assert.True(ledger.Quiet, $"round {round}: not quiet after the last ReadyForQuery");
            Assert.Equal(0, ledger.ReadyOwed);
        }
    }
}
