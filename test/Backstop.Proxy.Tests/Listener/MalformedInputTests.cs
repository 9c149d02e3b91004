using System.Diagnostics;
using System.Net.Security;
using System.Security.Authentication;
using System.Text;
using Backstop.Proxy.Tests.Support;

namespace Backstop.Proxy.Tests.Listener;

/// <summary>
/// Bad input against a real listener on 127.0.0.1 (issue 16): each case is sent on a raw socket and must get the
/// answer docs/proxy.md gives it (a FATAL ErrorResponse, 08P01 for a protocol violation, in PostgreSQL's words where
/// PostgreSQL has words for it), then the connection closed; and the proxy goes on serving.
/// </summary>
public sealed class MalformedInputTests(ListenerDatabase database) : IClassFixture<ListenerDatabase>
{
    private const int MaxStartupLength = 10_004;
    private const int MaxMessageLength = 256 * 1024 * 1024;

    /// <summary>SSLRequest: length 8, code 80877103.</summary>
    private static readonly byte[] SslRequest = Wire.Concat(Wire.Int32(8), Wire.Int32(80_877_103));

    /// <summary>An answer to a malformed packet must come at once: nothing more is sent, so a proxy that waits for the declared bytes times out here.</summary>
    private static readonly TimeSpan Promptly = TimeSpan.FromSeconds(5);

    public static TheoryData<int> BadStartupLengths => new()
    {
        0,
        int.MinValue, // 0x80000000: the high bit set, negative as an Int32
        -1,           // 0xFFFFFFFF
        3,            // shorter than the length word itself
        7,            // room for the length word but not the protocol code
        int.MaxValue, // 2^31 - 1
        MaxStartupLength + 1, // 10,005: one byte over MAX_STARTUP_PACKET_LENGTH after the length word
    };

    [Theory]
    [MemberData(nameof(BadStartupLengths))]
    public async Task Startup_packet_with_a_bad_length_is_refused_with_08P01_before_its_body_and_closed(int length)
    {
        await using var proxy = database.Start();
        await using var client = await proxy.ConnectAsync();

        // Only the length word is sent: the answer must not wait for the bytes it declares.
        await client.SendAsync(Wire.Int32(length));

        var error = await client.ReadErrorAsync(Promptly);
        AssertFatal(error, "08P01", $"invalid length of startup packet: {length} bytes declared, a startup packet has 8 to {MaxStartupLength}");
        await client.ExpectClosedAsync();
        await AssertServesAsync(proxy);
    }

    [Fact]
    public async Task Startup_packet_of_exactly_the_cap_is_read_and_answered()
    {
        await using var proxy = database.Start();
        await using var client = await proxy.ConnectAsync();
        var startup = RawClient.Startup("alice", "dev", ("application_name", ""));
        var padded = RawClient.Startup("alice", "dev", ("application_name", new string('x', MaxStartupLength - startup.Length)));
        Assert.Equal(MaxStartupLength, padded.Length);

        await client.SendAsync(padded);

        var sasl = await client.ReadMessageAsync();
        Assert.True(sasl is { Type: 'R' } && sasl.Int32At(0) == 10, $"expected AuthenticationSASL, got {sasl}");
    }

    [Fact]
    public async Task Startup_packet_with_an_unknown_protocol_code_gets_PostgreSQLs_0A000()
    {
        await using var proxy = database.Start();
        await using var client = await proxy.ConnectAsync();

        // 0x12345678 is no protocol version and no request code: PostgreSQL 15 answers exactly this (checked against it).
        await client.SendAsync(Wire.Int32(16), Wire.Int32(0x12345678), Encoding.ASCII.GetBytes("garbage!"));

        var error = await client.ReadErrorAsync(Promptly);
        AssertFatal(error, "0A000", "unsupported frontend protocol 4660.22136: server supports 3.0 to 3.0");
        await client.ExpectClosedAsync();
        await AssertServesAsync(proxy);
    }

    [Fact]
    public async Task Startup_packet_3_0_without_its_terminator_is_refused_with_08P01()
    {
        await using var proxy = database.Start();
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(Wire.Int32(16), Wire.Int32(196_608), Encoding.ASCII.GetBytes("user\0ali"));

        // PostgreSQL 15 words it "invalid startup packet layout: expected terminator as last byte"; the proxy names the
        // field that is cut ("invalid startup packet message: the value of parameter "user" string is not terminated…").
        var error = await client.ReadErrorAsync(Promptly);
        AssertFatal(error, "08P01", "invalid startup packet ", exact: false);
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task Startup_packets_of_random_garbage_are_each_refused_and_closed()
    {
        await using var proxy = database.Start();
        var random = new Random(16);
        for (var i = 0; i < 50; i++)
        {
            await using var client = await proxy.ConnectAsync();
            var garbage = new byte[random.Next(1, 64)];
            random.NextBytes(garbage);

            await client.SendAsync(garbage);
            client.ShutdownSend();

            // Whatever the bytes say, the answer is at most one FATAL ErrorResponse, then the end of the connection.
            var reply = await client.ReadMessageAsync(Promptly);
            if (reply is not null)
            {
                Assert.True(reply.Type == 'E', $"garbage {Convert.ToHexString(garbage)} got {reply}");
                Assert.Equal("FATAL", ErrorReply.Parse(reply.Body).Severity);
                await client.ExpectClosedAsync();
            }
        }

        Assert.Equal(0, await proxy.WaitForNoConnectionsAsync(TimeSpan.FromSeconds(10)));
        Assert.Empty(proxy.Log);
        await AssertServesAsync(proxy);
    }

    [Fact]
    public async Task Startup_asking_for_3_2_and_an_unknown_option_gets_NegotiateProtocolVersion_and_goes_on_in_3_0()
    {
        await using var proxy = database.Start();
        await using var client = await proxy.ConnectAsync();
        var startup = RawClient.Startup("alice", "dev", ("_pq_.unheard_of", "1"));
        startup[7] = 2; // the minor version: 3.2, as libpq 18 may ask

        await client.SendAsync(startup);

        var negotiate = await client.ReadMessageAsync(Promptly);
        Assert.True(negotiate is { Type: 'v' }, $"expected NegotiateProtocolVersion, got {negotiate}");
        Assert.Equal(196_608, negotiate!.Int32At(0));
        Assert.Equal(1, negotiate.Int32At(4));
        Assert.Equal("_pq_.unheard_of\0", Encoding.ASCII.GetString(negotiate.Body, 8, negotiate.Body.Length - 8));
        var sasl = await client.ReadMessageAsync(Promptly);
        Assert.True(sasl is { Type: 'R' } && sasl.Int32At(0) == 10, $"expected AuthenticationSASL, got {sasl}");
    }

    // ------------------------------------------------------------------ TLS

    [Fact]
    public async Task Bytes_sent_behind_an_SSLRequest_are_refused_without_a_handshake_and_never_read_as_a_startup()
    {
        await using var proxy = database.Start(tls: true);
        await using var client = await proxy.ConnectAsync();

        // A StartupMessage in the same write as the SSLRequest, as a man in the middle would inject it (CVE-2021-23214).
        await client.SendAsync(SslRequest, RawClient.Startup("alice"));

        var error = await client.ReadErrorAsync(Promptly);
        AssertFatal(error, "08P01", "received unencrypted data after SSL request (", exact: false);
        await client.ExpectClosedAsync();
        Assert.Equal(0, proxy.Backend.Prepared);
        Assert.Equal(0, await proxy.WaitForNoConnectionsAsync(TimeSpan.FromSeconds(5)));
        await AssertServesAsync(proxy);
    }

    [Fact]
    public async Task SSLRequest_without_a_certificate_is_answered_N_and_the_startup_goes_on_in_the_clear()
    {
        await using var proxy = database.Start(tls: false);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(SslRequest);
        Assert.Equal('N', (char)await client.ReadByteAsync());

        // As libpq does with sslmode=prefer: the same connection, in the clear.
        var parameters = await client.SignInAsync();
        Assert.Equal('I', (char)parameters[^1].Body[0]);
    }

    [Fact]
    public async Task GSSENCRequest_is_answered_N_then_SSLRequest_S_and_a_second_SSLRequest_is_refused()
    {
        await using var proxy = database.Start(tls: false);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(Wire.Int32(8), Wire.Int32(80_877_104));
        Assert.Equal('N', (char)await client.ReadByteAsync());
        await client.SendAsync(SslRequest);
        Assert.Equal('N', (char)await client.ReadByteAsync());
        await client.SendAsync(SslRequest);

        var error = await client.ReadErrorAsync(Promptly);
        AssertFatal(error, "08P01", "SSLRequest sent twice; a client asks for each kind of encryption once");
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task SSLRequest_with_a_certificate_is_answered_S_and_the_session_runs_over_TLS()
    {
        await using var proxy = database.Start(tls: true);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(SslRequest);
        Assert.Equal('S', (char)await client.ReadByteAsync());
        // The proxy's own certificate, pinned: the test made it.
        var tls = new SslStream(client.Stream, leaveInnerStreamOpen: false,
            (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == ListenerDatabase.Certificate.GetCertHashString());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" });
        client.Replace(tls);

        var parameters = await client.SignInAsync();
        Assert.Equal('Z', parameters[^1].Type);
        Assert.Equal(SslProtocols.Tls13, tls.SslProtocol);
    }

    [Fact]
    public async Task Plain_bytes_where_the_TLS_handshake_should_be_close_the_connection()
    {
        await using var proxy = database.Start(tls: true);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(SslRequest);
        Assert.Equal('S', (char)await client.ReadByteAsync());
        await client.SendAsync(RawClient.Startup("alice"));

        // No handshake can come of it: the proxy gives up on the connection, and nothing is read as a startup packet.
        await DrainUntilClosedAsync(client);
        Assert.Equal(0, await proxy.WaitForNoConnectionsAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, proxy.Backend.Prepared);
        await AssertServesAsync(proxy);
    }

    [Fact]
    public async Task Failed_TLS_handshake_is_the_clients_failure_not_a_fault_of_the_proxy()
    {
        await using var proxy = database.Start(tls: true);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(SslRequest);
        Assert.Equal('S', (char)await client.ReadByteAsync());
        await client.SendAsync(RawClient.Startup("alice"));

        // PostgreSQL closes after a failed handshake (TLS alert at most); no ErrorResponse in the clear, no server fault.
        await DrainUntilClosedAsync(client, mustNotContainErrorResponse: true);
        Assert.Equal(0, await proxy.WaitForNoConnectionsAsync(TimeSpan.FromSeconds(5)));
        Assert.Empty(proxy.Log);
    }

    // ------------------------------------------------------------------ SCRAM

    [Theory]
    [InlineData("alice")]
    [InlineData("mallory")] // unknown: the mock exchange refuses the same way
    public async Task Client_nonce_of_10000_characters_is_refused_with_08P01(string user)
    {
        await using var proxy = database.Start();
        await using var client = await proxy.ConnectAsync();
        await client.BeginScramAsync(user);

        await client.SendAsync(RawClient.SaslInitial("n,,n=,r=" + new string('A', 10_000)));

        var error = await client.ReadErrorAsync(Promptly);
        AssertFatal(error, "08P01", "malformed SCRAM message: client-first-message has 10008 bytes; at most 2048 are accepted");
        await client.ExpectClosedAsync();
        await AssertServesAsync(proxy);
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(-2)]
    public async Task SASLInitialResponse_whose_inner_length_exceeds_the_message_is_refused_with_08P01(int declared)
    {
        await using var proxy = database.Start();
        await using var client = await proxy.ConnectAsync();
        await client.BeginScramAsync("alice");

        // The Int32 before client-first-message declares more bytes than the message holds (or a negative count).
        await client.SendAsync(Wire.Message('p', Wire.CString("SCRAM-SHA-256"), Wire.Int32(declared), "n,,n=,r=abc"u8.ToArray()));

        var error = await client.ReadErrorAsync(Promptly);
        AssertFatal(error, "08P01", $"invalid SASLInitialResponse message: the initial response declares {declared} bytes but 11 are left in the message");
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task Client_nonce_over_256_characters_is_refused_with_08P01()
    {
        await using var proxy = database.Start();
        await using var client = await proxy.ConnectAsync();
        await client.BeginScramAsync("alice");

        await client.SendAsync(RawClient.SaslInitial("n,,n=,r=" + new string('A', 257)));

        var error = await client.ReadErrorAsync(Promptly);
        AssertFatal(error, "08P01", "malformed SCRAM message: the client nonce has 257 characters; it must have 1 to 256");
        await client.ExpectClosedAsync();
    }

    public static TheoryData<string, string> TruncatedFinals => new()
    {
        // Cut before the proof.
        { "without-proof", "malformed SCRAM message: client-final-message carries no proof (p=); was it truncated?" },
        // Cut inside the proof: 16 of its 44 base64 characters.
        { "half-proof", "malformed SCRAM message: malformed proof in client-final-message: it must be 32 bytes in base64" },
        // Cut inside the nonce.
        { "half-nonce", "malformed SCRAM message: client-final-message carries no proof (p=); was it truncated?" },
    };

    [Theory]
    [MemberData(nameof(TruncatedFinals))]
    public async Task Truncated_client_final_message_is_refused_with_08P01_and_closed(string cut, string message)
    {
        await using var proxy = database.Start();
        await using var client = await proxy.ConnectAsync();
        await client.BeginScramAsync("alice");
        var scram = new ScramTestClient(ListenerBackend.AlicePassword, "rOprNGfwEbeRWgbNEkqO");
        var serverFirst = await client.SendClientFirstAsync(scram.ClientFirst());
        var final = scram.ClientFinal(serverFirst);
        var proofAt = final.IndexOf(",p=", StringComparison.Ordinal);
        var truncated = cut switch
        {
            "without-proof" => final[..proofAt],
            "half-proof" => final[..(proofAt + 3 + 16)],
            _ => final[..(final.IndexOf(",r=", StringComparison.Ordinal) + 20)],
        };

        await client.SendAsync(RawClient.SaslResponse(truncated));

        var error = await client.ReadErrorAsync(Promptly);
        AssertFatal(error, "08P01", message);
        await client.ExpectClosedAsync();
        Assert.DoesNotContain(proxy.Backend.AuditEntries, e => e.Action == "proxy.session");
        await AssertServesAsync(proxy);
    }

    [Fact]
    public async Task Client_final_message_cut_short_on_the_wire_ends_the_connection_without_an_answer()
    {
        await using var proxy = database.Start();
        await using var client = await proxy.ConnectAsync();
        await client.BeginScramAsync("alice");
        var scram = new ScramTestClient(ListenerBackend.AlicePassword, "rOprNGfwEbeRWgbNEkqO");
        var final = RawClient.SaslResponse(scram.ClientFinal(await client.SendClientFirstAsync(scram.ClientFirst())));

        // The length word promises the whole message; the client sends two thirds of it and hangs up.
        await client.SendAsync(final[..(final.Length * 2 / 3)]);
        client.ShutdownSend();

        // PostgreSQL logs "incomplete message from client" and closes; there is nobody left to answer.
        await client.ExpectClosedAsync(Promptly);
        Assert.Equal(0, await proxy.WaitForNoConnectionsAsync(TimeSpan.FromSeconds(5)));
        Assert.Empty(proxy.Log);
    }

    [Fact]
    public async Task Another_message_than_a_SASL_response_during_authentication_is_refused_with_08P01()
    {
        await using var proxy = database.Start();
        await using var client = await proxy.ConnectAsync();
        await client.BeginScramAsync("alice");

        await client.SendAsync(Wire.Message('Q', Wire.CString("SELECT 1")));

        var error = await client.ReadErrorAsync(Promptly);
        AssertFatal(error, "08P01", "expected a password or SASL response message, got message type 'Q' (81)");
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task SASL_message_declared_over_PG_MAX_AUTH_TOKEN_LENGTH_is_refused_before_its_body()
    {
        await using var proxy = database.Start();
        await using var client = await proxy.ConnectAsync();
        await client.BeginScramAsync("alice");

        await client.SendAsync([(byte)'p'], Wire.Int32(65_536));

        var error = await client.ReadErrorAsync(Promptly);
        AssertFatal(error, "08P01", "invalid message length 65536 for message type 'p' (112)", exact: false);
        await client.ExpectClosedAsync();
    }

    // ------------------------------------------------------------------ after sign-in

    [Fact]
    public async Task Unknown_message_type_after_sign_in_gets_PostgreSQLs_08P01()
    {
        await using var proxy = database.Start();
        await using var client = await proxy.ConnectAsync();
        await client.SignInAsync();

        // Only the type byte: PostgreSQL refuses it before reading a length word (postgres.c, SocketBackend).
        await client.SendAsync([0x01]);

        var error = await client.ReadErrorAsync(Promptly);
        AssertFatal(error, "08P01", "invalid frontend message type 1");
        await client.ExpectClosedAsync();
        Assert.Equal(0, await proxy.WaitForNoConnectionsAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains(proxy.Backend.AuditEntries, e => e.Action == "proxy.session" && e.User == "alice");
        await AssertServesAsync(proxy);
    }

    public static TheoryData<char, int, int> OversizedMessages => new()
    {
        { 'Q', MaxMessageLength + 1, MaxMessageLength }, // 256 MiB + 1
        { 'Q', int.MaxValue, MaxMessageLength },         // 2^31 - 1
        { 'P', MaxMessageLength + 1, MaxMessageLength },
        { 'd', int.MaxValue, MaxMessageLength },          // CopyData
        { 'S', 10_001, 10_000 },                          // Sync over PQ_SMALL_MESSAGE_LIMIT
        { 'Q', int.MinValue, MaxMessageLength },         // negative
        { 'Q', 3, MaxMessageLength },                     // shorter than its own length word
    };

    [Theory]
    [MemberData(nameof(OversizedMessages))]
    public async Task Message_with_a_bad_declared_length_after_sign_in_is_refused_as_soon_as_its_header_arrives(char type, int length, int cap)
    {
        await using var proxy = database.Start();
        await using var client = await proxy.ConnectAsync();
        await client.SignInAsync();
        var sent = Stopwatch.StartNew();

        // The five header bytes and nothing else: a proxy that waited for the body would never answer.
        await client.SendAsync([(byte)type], Wire.Int32(length));

        var error = await client.ReadErrorAsync(Promptly);
        AssertFatal(error, "08P01", $"invalid message length {length} for message type '{type}' ({(int)type}): a message is 4 to {cap} bytes long, length word included");
        await client.ExpectClosedAsync();
        Assert.True(sent.Elapsed < Promptly);
        Assert.Equal(0, await proxy.WaitForNoConnectionsAsync(TimeSpan.FromSeconds(5)));
        Assert.Empty(proxy.Log);
    }

    public static TheoryData<string, byte[], string> MalformedBodies => new()
    {
        // A Query whose text has no terminating NUL inside the message.
        { "Query without its NUL", Wire.Message('Q', "SELECT 1"u8.ToArray()), "invalid Query message: " },
        // A Bind that declares 32,767 parameter values in a 12-byte body: refused before an array of 32,767 is made.
        { "Bind declaring 32767 values", Wire.Message('B', Wire.CString(""), Wire.CString(""), Wire.Int16(0), Wire.Int16(short.MaxValue), Wire.Int32(1)), "invalid Bind message: " },
        // A Bind whose one value declares 2^31-1 bytes.
        { "Bind value of 2^31-1", Wire.Message('B', Wire.CString(""), Wire.CString(""), Wire.Int16(0), Wire.Int16(1), Wire.Int32(int.MaxValue), Wire.Int16(0)), "invalid Bind message: " },
        // A Parse declaring more parameter types than it holds.
        { "Parse declaring 1000 types", Wire.Message('P', Wire.CString(""), Wire.CString("SELECT $1"), Wire.Int16(1000), Wire.Int32(23)), "invalid Parse message: " },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Message_whose_body_contradicts_itself_after_sign_in_is_refused_with_08P01(string what, byte[] message, string start)
    {
        await using var proxy = database.Start();
        await using var client = await proxy.ConnectAsync();
        await client.SignInAsync();

        await client.SendAsync(message, Wire.Message('S'));

        var error = await client.ReadErrorAsync(Promptly);
        Assert.True(error.Code == "08P01" && error.Severity == "FATAL", $"{what}: {error}");
        Assert.StartsWith(start, error.Message, StringComparison.Ordinal);
        await client.ExpectClosedAsync();
        Assert.Equal(0, await proxy.WaitForNoConnectionsAsync(TimeSpan.FromSeconds(5)));
        Assert.Empty(proxy.Log);
    }

    // ------------------------------------------------------------------ helpers

    internal static void AssertFatal(ErrorReply error, string code, string message, bool exact = true)
    {
        Assert.True(error.Severity == "FATAL" && error.LocalizedSeverity == "FATAL", $"expected FATAL, got {error}");
        Assert.True(error.Code == code, $"expected SQLSTATE {code}, got {error}");
        if (exact)
        {
            Assert.Equal(message, error.Message);
        }
        else
        {
            Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>A well-formed client still signs in and reads, through the same listener.</summary>
    internal static async Task AssertServesAsync(RunningProxy proxy)
    {
        await using var client = await proxy.ConnectAsync();
        await client.SignInAsync();
        await client.SendAsync(Wire.Message('Q', Wire.CString("SELECT 40 + 2")));
        var frames = new List<BackendFrame>();
        while (frames.LastOrDefault()?.Type != 'Z')
        {
            var frame = await client.ReadMessageAsync();
            Assert.True(frame is not null, "the connection closed during SELECT");
            Assert.True(frame!.Type != 'E', $"SELECT failed: {frame}");
            frames.Add(frame);
        }

        var row = frames.Single(f => f.Type == 'D');
        Assert.Equal("42", Encoding.ASCII.GetString(row.Body, 2 + 4, row.Int32At(2)));
        await client.SendAsync(Wire.Message('X'));
        await client.ExpectClosedAsync();
    }

    private static async Task DrainUntilClosedAsync(RawClient client, bool mustNotContainErrorResponse = false)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(Promptly);
        try
        {
            int read;
            while ((read = await client.Stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.AddRange(buffer.AsSpan(0, read));
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the connection stayed open ({received.Count} bytes received)");
        }
        catch (IOException)
        {
        }

        if (mustNotContainErrorResponse)
        {
            Assert.True(received.Count == 0 || received[0] != (byte)'E', $"an ErrorResponse in the clear: {Encoding.ASCII.GetString(received.ToArray())}");
        }
    }
}
