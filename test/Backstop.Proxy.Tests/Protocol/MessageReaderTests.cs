using System.Buffers;
using Backstop.Proxy.Protocol;
using Backstop.Proxy.Protocol.Backend;
using Backstop.Proxy.Protocol.Frontend;
using Backstop.Proxy.Tests.Support;

namespace Backstop.Proxy.Tests.Protocol;

public sealed class MessageReaderTests
{
    /// <summary>Far below any declared length tested here, far above what an exception and its message cost.</summary>
    private const long AllocationBound = 256 * 1024;

    private static readonly MessageReader Reader = new(ProtocolLimits.Default);

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(int.MaxValue)]
    [InlineData(ProtocolLimits.MaxStartupPacketBody + 4 + 1)]
    public void TryReadStartup_length_out_of_range_is_violation_without_allocating_it(int declared)
    {
        var bytes = Wire.Concat(Wire.Int32(declared), Wire.Int32(StartupMessage.Protocol30));

        var violation = AssertViolationWithin(AllocationBound, () =>
        {
            var buffer = new ReadOnlySequence<byte>(bytes);
            MessageReader.TryReadStartup(ref buffer, out _);
        });

        Assert.Contains("invalid length of startup packet", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadStartup_largest_allowed_length_needs_more_data()
    {
        var buffer = new ReadOnlySequence<byte>(Wire.Concat(Wire.Int32(ProtocolLimits.MaxStartupPacketBody + 4), Wire.Int32(StartupMessage.Protocol30)));

        Assert.False(MessageReader.TryReadStartup(ref buffer, out var request));
        Assert.Null(request);
        Assert.Equal(8, buffer.Length);
    }

    [Fact]
    public void TryReadStartup_garbage_is_violation()
    {
        // An HTTP request sent to the proxy's port: "GET " reads as a length of 1.19 billion.
        var buffer = new ReadOnlySequence<byte>("GET / HTTP/1.1\r\nHost: proxy\r\n\r\n"u8.ToArray());

        Assert.Throws<ProtocolViolationException>(() => MessageReader.TryReadStartup(ref buffer, out _));
    }

    [Fact]
    public void TryReadStartup_parameter_without_terminator_is_violation()
    {
        var buffer = new ReadOnlySequence<byte>(Wire.Startup(Wire.Int32(StartupMessage.Protocol30), Wire.CString("user"), "alice"u8.ToArray()));

        var violation = Assert.Throws<ProtocolViolationException>(() => MessageReader.TryReadStartup(ref buffer, out _));

        Assert.Contains("not terminated by a NUL", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadStartup_packet_without_final_zero_byte_is_violation()
    {
        var buffer = new ReadOnlySequence<byte>(Wire.Startup(Wire.Int32(StartupMessage.Protocol30), Wire.CString("user"), Wire.CString("alice")));

        var violation = Assert.Throws<ProtocolViolationException>(() => MessageReader.TryReadStartup(ref buffer, out _));

        Assert.Equal("invalid startup packet layout: expected terminator as last byte", violation.Message);
    }

    [Fact]
    public void TryReadStartup_name_without_value_is_violation()
    {
        var buffer = new ReadOnlySequence<byte>(Wire.Startup(Wire.Int32(StartupMessage.Protocol30), Wire.CString("user")));

        Assert.Throws<ProtocolViolationException>(() => MessageReader.TryReadStartup(ref buffer, out _));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(257)]
    public void TryReadStartup_cancel_key_outside_4_to_256_bytes_is_violation(int keyLength)
    {
        var buffer = new ReadOnlySequence<byte>(Wire.Startup(Wire.Int32(CancelRequest.Code), Wire.Int32(1), new byte[keyLength]));

        Assert.Throws<ProtocolViolationException>(() => MessageReader.TryReadStartup(ref buffer, out _));
    }

    [Fact]
    public void TryReadStartup_partial_packet_needs_more_data_and_keeps_the_buffer()
    {
        var whole = Wire.Of(new StartupMessage(StartupMessage.Protocol30, [new("user", "alice")]));

        for (var length = 0; length < whole.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(whole[..length]);
            Assert.False(MessageReader.TryReadStartup(ref buffer, out _));
            Assert.Equal(length, buffer.Length);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(int.MaxValue)]
    public void TryReadFrontend_query_length_out_of_range_is_violation_without_allocating_it(int declared)
    {
        var bytes = Wire.Concat("Q"u8.ToArray(), Wire.Int32(declared), "SELECT 1\0"u8.ToArray());

        var violation = AssertViolationWithin(AllocationBound, () =>
        {
            var buffer = new ReadOnlySequence<byte>(bytes);
            Reader.TryReadFrontend(ref buffer, out _);
        });

        Assert.Contains("invalid message length", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadFrontend_query_one_byte_over_the_cap_is_violation_without_allocating_it()
    {
        var cap = ProtocolLimits.Default.MaxMessageLength;
        var atCap = new ReadOnlySequence<byte>(Wire.Concat("Q"u8.ToArray(), Wire.Int32(cap)));
        var overCap = Wire.Concat("Q"u8.ToArray(), Wire.Int32(cap + 1));

        Assert.False(Reader.TryReadFrontend(ref atCap, out _));
        AssertViolationWithin(AllocationBound, () =>
        {
            var buffer = new ReadOnlySequence<byte>(overCap);
            Reader.TryReadFrontend(ref buffer, out _);
        });
    }

    [Fact]
    public void TryReadFrontend_configured_cap_is_applied()
    {
        var reader = new MessageReader(new ProtocolLimits { MaxMessageLength = 64 * 1024 });
        var buffer = new ReadOnlySequence<byte>(Wire.Concat("d"u8.ToArray(), Wire.Int32((64 * 1024) + 1)));

        Assert.Throws<ProtocolViolationException>(() => reader.TryReadFrontend(ref buffer, out _));
    }

    [Theory]
    [InlineData('S')]
    [InlineData('X')]
    [InlineData('E')]
    [InlineData('D')]
    public void TryReadFrontend_message_without_user_data_over_the_small_limit_is_violation(char code)
    {
        var buffer = new ReadOnlySequence<byte>(Wire.Concat([(byte)code], Wire.Int32(ProtocolLimits.SmallMessageLimit + 1)));

        Assert.Throws<ProtocolViolationException>(() => Reader.TryReadFrontend(ref buffer, out _));
    }

    [Theory]
    [InlineData('p')]
    [InlineData('Z')]
    [InlineData('\0')]
    [InlineData('G')]
    public void TryReadFrontend_unknown_type_is_violation_before_the_length_arrives(char code)
    {
        var buffer = new ReadOnlySequence<byte>([(byte)code]);

        var violation = Assert.Throws<ProtocolViolationException>(() => Reader.TryReadFrontend(ref buffer, out _));

        Assert.Contains("invalid frontend message type", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadAuthentication_over_the_auth_token_limit_is_violation()
    {
        var buffer = new ReadOnlySequence<byte>(Wire.Concat("p"u8.ToArray(), Wire.Int32(ProtocolLimits.AuthenticationMessageLimit + 1)));

        Assert.Throws<ProtocolViolationException>(() => MessageReader.TryReadAuthentication(ref buffer, out _));
    }

    [Fact]
    public void TryReadBackend_negative_length_is_violation()
    {
        var buffer = new ReadOnlySequence<byte>(Wire.Concat("D"u8.ToArray(), Wire.Int32(-5)));

        Assert.Throws<ProtocolViolationException>(() => Reader.TryReadBackend(ref buffer, out _));
    }

    [Fact]
    public void Decode_query_without_nul_is_violation()
    {
        var buffer = new ReadOnlySequence<byte>(Wire.Message('Q', "SELECT 1"u8.ToArray()));
        Reader.TryReadFrontend(ref buffer, out var frame);

        var violation = Assert.Throws<ProtocolViolationException>(() => FrontendMessageDecoder.Decode(frame));

        Assert.Contains("query string string is not terminated", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_query_nul_is_looked_for_only_inside_the_message()
    {
        // The NUL of the next message must not terminate this one's string.
        var bytes = Wire.Concat(Wire.Message('Q', "SELECT 1"u8.ToArray()), Wire.Message('Q', Wire.CString("SELECT 2")));
        var buffer = new ReadOnlySequence<byte>(bytes);
        Reader.TryReadFrontend(ref buffer, out var frame);

        Assert.Throws<ProtocolViolationException>(() => FrontendMessageDecoder.Decode(frame));
    }

    [Fact]
    public void Decode_query_with_bytes_after_its_string_is_violation()
    {
        var buffer = new ReadOnlySequence<byte>(Wire.Message('Q', Wire.CString("SELECT 1"), [42]));
        Reader.TryReadFrontend(ref buffer, out var frame);

        Assert.Throws<ProtocolViolationException>(() => FrontendMessageDecoder.Decode(frame));
    }

    [Fact]
    public void Decode_parse_with_parameter_count_beyond_the_bytes_left_is_violation_without_allocating_it()
    {
        var bytes = Wire.Message('P', Wire.CString(""), Wire.CString("SELECT $1"), Wire.Int16(short.MaxValue), Wire.Int32(23));

        var violation = AssertViolationWithin(16 * 1024, () => Decode(bytes));

        Assert.Contains("parameter type count is 32767 but only 4 bytes are left", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_bind_with_negative_parameter_count_is_violation()
    {
        var bytes = Wire.Message('B', Wire.CString(""), Wire.CString(""), Wire.Int16(0), Wire.Int16(-1), Wire.Int16(0));

        Assert.Throws<ProtocolViolationException>(() => Decode(bytes));
    }

    [Fact]
    public void Decode_bind_with_value_length_beyond_the_message_is_violation_without_allocating_it()
    {
        var bytes = Wire.Message('B', Wire.CString(""), Wire.CString(""), Wire.Int16(0), Wire.Int16(1), Wire.Int32(int.MaxValue), [1, 2, 3], Wire.Int16(0));

        var violation = AssertViolationWithin(AllocationBound, () => Decode(bytes));

        Assert.Contains("declares 2147483647 bytes", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_bind_with_format_count_beyond_the_bytes_left_is_violation()
    {
        var bytes = Wire.Message('B', Wire.CString(""), Wire.CString(""), Wire.Int16(1000), Wire.Int16(0));

        Assert.Throws<ProtocolViolationException>(() => Decode(bytes));
    }

    [Fact]
    public void Decode_describe_with_unknown_target_is_violation()
    {
        Assert.Throws<ProtocolViolationException>(() => Decode(Wire.Message('D', [(byte)'X'], Wire.CString("s1"))));
    }

    [Fact]
    public void Decode_negotiate_protocol_version_with_huge_option_count_is_violation_without_allocating_it()
    {
        var bytes = Wire.Message('v', Wire.Int32(StartupMessage.Protocol30), Wire.Int32(int.MaxValue), Wire.CString("_pq_.x"));

        AssertViolationWithin(AllocationBound, () =>
        {
            var buffer = new ReadOnlySequence<byte>(bytes);
            Reader.TryReadBackend(ref buffer, out var frame);
            BackendMessageDecoder.Decode(frame);
        });
    }

    [Fact]
    public void Decode_sasl_initial_response_with_length_beyond_the_message_is_violation()
    {
        var buffer = new ReadOnlySequence<byte>(Wire.Message('p', Wire.CString("SCRAM-SHA-256"), Wire.Int32(1000), "n,,"u8.ToArray()));
        MessageReader.TryReadAuthentication(ref buffer, out var frame);

        Assert.Throws<ProtocolViolationException>(() => SaslInitialResponse.Read(frame.Payload));
    }

    private static void Decode(byte[] bytes)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.True(Reader.TryReadFrontend(ref buffer, out var frame));
        FrontendMessageDecoder.Decode(frame);
    }

    private static ProtocolViolationException AssertViolationWithin(long allocationBound, Action read)
    {
        // Warm up once so that JIT and type loading do not count against the bound.
        try
        {
            read();
        }
        catch (ProtocolViolationException)
        {
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var violation = Assert.Throws<ProtocolViolationException>(read);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < allocationBound, $"rejecting the input allocated {allocated} bytes; the bound is {allocationBound}");
        Assert.Equal("08P01", violation.SqlState);
        return violation;
    }
}
