using System.Buffers;
using Backstop.Proxy.Protocol;
using Backstop.Proxy.Protocol.Backend;
using Backstop.Proxy.Protocol.Frontend;
using Backstop.Proxy.Startup;
using Backstop.Proxy.Tests.Support;

namespace Backstop.Proxy.Tests.Startup;

public sealed class StartupNegotiatorTests
{
    private static readonly StartupOptions WithTls = new() { TlsAvailable = true };
    private static readonly StartupOptions WithoutTls = new();

    [Fact]
    public void Next_ssl_request_with_tls_answers_S_and_awaits_the_handshake()
    {
        var negotiator = new StartupNegotiator(WithTls);
        var buffer = new ReadOnlySequence<byte>(Wire.Of(SslRequest.Instance));

        var step = Assert.IsType<StartupStep.AnswerEncryptionRequest>(negotiator.Next(ref buffer));

        Assert.Equal((byte)'S', step.Response);
        Assert.True(step.StartTls);
        Assert.Throws<InvalidOperationException>(() => negotiator.Next(ref buffer));
        negotiator.TlsEstablished();
        Assert.True(negotiator.TlsActive);
    }

    [Fact]
    public void Next_ssl_request_followed_by_bytes_in_the_same_buffer_is_violation()
    {
        // CVE-2021-23214 / CVE-2021-3935: a startup packet injected before the handshake must not be read as encrypted.
        var negotiator = new StartupNegotiator(WithTls);
        var injected = Wire.Of(new StartupMessage(StartupMessage.Protocol30, [new("user", "mallory")]));
        var buffer = new ReadOnlySequence<byte>(Wire.Concat(Wire.Of(SslRequest.Instance), injected));

        var violation = Assert.Throws<ProtocolViolationException>(() => negotiator.Next(ref buffer));

        Assert.Contains("received unencrypted data after SSL request", violation.Message, StringComparison.Ordinal);
        Assert.Equal("08P01", violation.SqlState);
    }

    [Fact]
    public void Next_ssl_request_without_tls_answers_N_and_reads_the_startup_in_the_clear()
    {
        var negotiator = new StartupNegotiator(WithoutTls);
        var startup = Wire.Of(new StartupMessage(StartupMessage.Protocol30, [new("user", "alice"), new("database", "prod")]));
        var buffer = new ReadOnlySequence<byte>(Wire.Concat(Wire.Of(SslRequest.Instance), startup));

        var answer = Assert.IsType<StartupStep.AnswerEncryptionRequest>(negotiator.Next(ref buffer));
        var start = Assert.IsType<StartupStep.Start>(negotiator.Next(ref buffer));

        Assert.Equal((byte)'N', answer.Response);
        Assert.Equal(("alice", "prod"), (start.User, start.Database));
        Assert.Null(start.Negotiation);
    }

    [Fact]
    public void Next_gssenc_request_answers_N_then_ssl_request_answers_S()
    {
        var negotiator = new StartupNegotiator(WithTls);
        var buffer = new ReadOnlySequence<byte>(Wire.Of(GssEncRequest.Instance));
        var gss = Assert.IsType<StartupStep.AnswerEncryptionRequest>(negotiator.Next(ref buffer));
        buffer = new ReadOnlySequence<byte>(Wire.Of(SslRequest.Instance));

        var ssl = Assert.IsType<StartupStep.AnswerEncryptionRequest>(negotiator.Next(ref buffer));

        Assert.Equal(((byte)'N', (byte)'S'), (gss.Response, ssl.Response));
    }

    [Fact]
    public void Next_second_ssl_request_is_violation()
    {
        var negotiator = new StartupNegotiator(WithoutTls);
        var buffer = new ReadOnlySequence<byte>(Wire.Concat(Wire.Of(SslRequest.Instance), Wire.Of(SslRequest.Instance)));
        negotiator.Next(ref buffer);

        Assert.Throws<ProtocolViolationException>(() => negotiator.Next(ref buffer));
    }

    [Fact]
    public void Next_protocol_3_2_gets_negotiate_protocol_version_bytes_as_documented()
    {
        // PostgreSQL 18's libpq with max_protocol_version=3.2 asks for 3.2.
        var negotiator = new StartupNegotiator(WithoutTls);
        var buffer = new ReadOnlySequence<byte>(Wire.Startup(Wire.Int32(StartupRequest.Version(3, 2)), Wire.CString("user"), Wire.CString("alice"), [0]));

        var start = Assert.IsType<StartupStep.Start>(negotiator.Next(ref buffer));

        // Byte1('v'), Int32 length 12, Int32 version 3.0 (196608), Int32 0 options not recognized.
        byte[] expected = [(byte)'v', 0, 0, 0, 12, 0, 3, 0, 0, 0, 0, 0, 0];
        Assert.Equal(expected, Wire.Of(start.Negotiation!));
    }

    [Fact]
    public void Next_unknown_protocol_options_are_listed_in_negotiate_protocol_version()
    {
        var negotiator = new StartupNegotiator(WithoutTls);
        var message = new StartupMessage(StartupMessage.Protocol30, [new("user", "alice"), new("_pq_.compression", "zstd"), new("application_name", "x")]);
        var buffer = new ReadOnlySequence<byte>(Wire.Of(message));

        var start = Assert.IsType<StartupStep.Start>(negotiator.Next(ref buffer));

        byte[] expected = [(byte)'v', .. Wire.Int32(4 + 4 + 4 + 17), .. Wire.Int32(196608), .. Wire.Int32(1), .. Wire.CString("_pq_.compression")];
        Assert.Equal(expected, Wire.Of(start.Negotiation!));
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(4, 0)]
    [InlineData(1234, 5681)]
    public void Next_other_major_version_is_refused_with_fatal_0A000(int major, int minor)
    {
        var negotiator = new StartupNegotiator(WithoutTls);
        var buffer = new ReadOnlySequence<byte>(Wire.Startup(Wire.Int32(StartupRequest.Version(major, minor)), new byte[20]));

        var refuse = Assert.IsType<StartupStep.Refuse>(negotiator.Next(ref buffer));

        Assert.Equal(("FATAL", "0A000"), (refuse.Error.Fields.Severity, refuse.Error.Fields.SqlState));
        Assert.Equal($"unsupported frontend protocol {major}.{minor}: server supports 3.0 to 3.0", refuse.Error.Fields.Message);
    }

    [Fact]
    public void Next_startup_without_user_is_refused_with_fatal_28000()
    {
        var negotiator = new StartupNegotiator(WithoutTls);
        var buffer = new ReadOnlySequence<byte>(Wire.Of(new StartupMessage(StartupMessage.Protocol30, [new("database", "prod")])));

        var refuse = Assert.IsType<StartupStep.Refuse>(negotiator.Next(ref buffer));

        Assert.Equal("28000", refuse.Error.Fields.SqlState);
        Assert.Equal("no PostgreSQL user name specified in startup packet", refuse.Error.Fields.Message);
    }

    [Fact]
    public void Next_startup_in_the_clear_when_tls_is_required_is_refused()
    {
        var negotiator = new StartupNegotiator(new StartupOptions { TlsAvailable = true, RequireTls = true });
        var buffer = new ReadOnlySequence<byte>(Wire.Of(new StartupMessage(StartupMessage.Protocol30, [new("user", "alice")])));

        var refuse = Assert.IsType<StartupStep.Refuse>(negotiator.Next(ref buffer));

        Assert.Contains("sslmode=require", refuse.Error.Fields.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Next_database_defaults_to_the_user_name()
    {
        var negotiator = new StartupNegotiator(WithoutTls);
        var buffer = new ReadOnlySequence<byte>(Wire.Of(new StartupMessage(StartupMessage.Protocol30, [new("user", "alice")])));

        var start = Assert.IsType<StartupStep.Start>(negotiator.Next(ref buffer));

        Assert.Equal("alice", start.Database);
    }

    [Fact]
    public void Next_cancel_request_with_a_32_byte_key_is_routed()
    {
        var negotiator = new StartupNegotiator(WithoutTls);
        var key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        var buffer = new ReadOnlySequence<byte>(Wire.Of(new CancelRequest(99, key)));

        var cancel = Assert.IsType<StartupStep.Cancel>(negotiator.Next(ref buffer));

        Assert.Equal(99, cancel.Request.ProcessId);
        Assert.Equal(key, cancel.Request.SecretKey);
    }

    [Fact]
    public void Next_partial_packet_needs_more_data()
    {
        var negotiator = new StartupNegotiator(WithoutTls);
        var buffer = new ReadOnlySequence<byte>(Wire.Of(SslRequest.Instance)[..5]);

        Assert.IsType<StartupStep.NeedMoreData>(negotiator.Next(ref buffer));
        Assert.Equal(5, buffer.Length);
    }
}
