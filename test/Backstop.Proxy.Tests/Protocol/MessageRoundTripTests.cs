using System.Buffers;
using Backstop.Proxy.Protocol;
using Backstop.Proxy.Protocol.Backend;
using Backstop.Proxy.Protocol.Frontend;
using Backstop.Proxy.Tests.Support;

namespace Backstop.Proxy.Tests.Protocol;

public sealed class MessageRoundTripTests
{
    private static readonly Dictionary<string, FrontendMessage> Frontend = new(StringComparer.Ordinal)
    {
        ["Query"] = new Query("SELECT 1; UPDATE orders SET is_deleted = true WHERE id = 1"),
        ["Parse"] = new Parse("s1", "SELECT $1::int, $2", [23, 0]),
        ["Parse unnamed"] = new Parse("", "SELECT 1", []),
        ["Bind"] = new Bind("p1", "s1", [1], [[0, 0, 0, 42], null, []], [0, 1]),
        ["Describe statement"] = new Describe(PortalOrStatement.Statement, "s1"),
        ["Describe portal"] = new Describe(PortalOrStatement.Portal, ""),
        ["Execute"] = new Execute("p1", 100),
        ["Close"] = new Close(PortalOrStatement.Portal, "p1"),
        ["Sync"] = Sync.Instance,
        ["Flush"] = Flush.Instance,
        ["CopyData"] = new CopyData([1, 2, 3, 0, 255]),
        ["CopyDone"] = CopyDone.Instance,
        ["CopyFail"] = new CopyFail("aborted by user"),
        ["Terminate"] = Terminate.Instance,
        ["FunctionCall"] = new FunctionCall([0, 0, 4, 210, 0, 0, 0, 0, 0, 0]),
    };

    private static readonly Dictionary<string, FrontendMessage> Authentication = new(StringComparer.Ordinal)
    {
        ["PasswordMessage"] = new PasswordMessage("pencil"),
        ["SASLInitialResponse"] = new SaslInitialResponse("SCRAM-SHA-256", "n,,n=,r=abc"u8.ToArray()),
        ["SASLInitialResponse without data"] = new SaslInitialResponse("SCRAM-SHA-256", null),
        ["SASLResponse"] = new SaslResponse("c=biws,r=abc,p=xyz"u8.ToArray()),
    };

    private static readonly Dictionary<string, StartupRequest> Startup = new(StringComparer.Ordinal)
    {
        ["StartupMessage"] = new StartupMessage(StartupMessage.Protocol30, [new("user", "alice"), new("database", "prod"), new("application_name", "psql")]),
        ["SSLRequest"] = SslRequest.Instance,
        ["GSSENCRequest"] = GssEncRequest.Instance,
        ["CancelRequest"] = new CancelRequest(4242, [1, 2, 3, 4]),
        ["CancelRequest with a 3.2 key"] = new CancelRequest(4242, Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()),
    };

    private static readonly Dictionary<string, BackendMessage> Backend = new(StringComparer.Ordinal)
    {
        ["AuthenticationOk"] = AuthenticationOk.Instance,
        ["AuthenticationSASL"] = new AuthenticationSasl(["SCRAM-SHA-256"]),
        ["AuthenticationSASLContinue"] = new AuthenticationSaslContinue("r=abc,s=c2FsdA==,i=4096"u8.ToArray()),
        ["AuthenticationSASLFinal"] = new AuthenticationSaslFinal("v=abc"u8.ToArray()),
        ["ParameterStatus"] = new ParameterStatus("standard_conforming_strings", "on"),
        ["BackendKeyData"] = new BackendKeyData(77, [9, 8, 7, 6]),
        ["ReadyForQuery"] = new ReadyForQuery(TransactionStatus.InTransaction),
        ["ErrorResponse"] = ErrorResponse.Error("23503", "update or delete violates foreign key", "Key (id)=(42) is still referenced.", "Delete the leads first."),
        ["NoticeResponse"] = new NoticeResponse(ErrorFields.Create("NOTICE", "00000", "relation exists, skipping")),
        ["NegotiateProtocolVersion"] = new NegotiateProtocolVersion(StartupMessage.Protocol30, ["_pq_.compression"]),
        ["Raw CommandComplete"] = new RawMessage((byte)'C', "UPDATE 3\0"u8.ToArray()),
    };

    public static TheoryData<string> FrontendNames => [.. Frontend.Keys];

    public static TheoryData<string> AuthenticationNames => [.. Authentication.Keys];

    public static TheoryData<string> StartupNames => [.. Startup.Keys];

    public static TheoryData<string> BackendNames => [.. Backend.Keys];

    [Theory]
    [MemberData(nameof(FrontendNames))]
    public void TryReadFrontend_written_message_decodes_to_the_same_bytes(string name)
    {
        var bytes = Wire.Of(Frontend[name]);
        var buffer = Wire.Segmented(bytes, 3);

        Assert.True(new MessageReader(ProtocolLimits.Default).TryReadFrontend(ref buffer, out var frame));
        var decoded = FrontendMessageDecoder.Decode(frame);

        Assert.True(buffer.IsEmpty);
        Assert.Equal(Frontend[name].GetType(), decoded.GetType());
        Assert.Equal(bytes, Wire.Of(decoded));
    }

    [Theory]
    [MemberData(nameof(AuthenticationNames))]
    public void TryReadAuthentication_written_message_decodes_to_the_same_bytes(string name)
    {
        var message = Authentication[name];
        var bytes = Wire.Of(message);
        var buffer = Wire.Segmented(bytes, 5);

        Assert.True(MessageReader.TryReadAuthentication(ref buffer, out var frame));
        FrontendMessage decoded = message switch
        {
            PasswordMessage => PasswordMessage.Read(frame.Payload),
            SaslInitialResponse => SaslInitialResponse.Read(frame.Payload),
            _ => SaslResponse.Read(frame.Payload),
        };

        Assert.Equal(bytes, Wire.Of(decoded));
    }

    [Theory]
    [MemberData(nameof(StartupNames))]
    public void TryReadStartup_written_packet_decodes_to_the_same_bytes(string name)
    {
        var bytes = Wire.Of(Startup[name]);
        var buffer = Wire.Segmented(bytes, 7);

        Assert.True(MessageReader.TryReadStartup(ref buffer, out var decoded));

        Assert.True(buffer.IsEmpty);
        Assert.Equal(Startup[name].GetType(), decoded!.GetType());
        Assert.Equal(bytes, Wire.Of(decoded));
    }

    [Theory]
    [MemberData(nameof(BackendNames))]
    public void TryReadBackend_written_message_decodes_to_the_same_bytes(string name)
    {
        var bytes = Wire.Of(Backend[name]);
        var buffer = Wire.Segmented(bytes, 4);

        Assert.True(new MessageReader(ProtocolLimits.Default).TryReadBackend(ref buffer, out var frame));
        var decoded = BackendMessageDecoder.Decode(frame);

        Assert.Equal(Backend[name].GetType(), decoded.GetType());
        Assert.Equal(bytes, Wire.Of(decoded));
    }

    [Fact]
    public void Decode_bind_keeps_null_and_empty_parameters_apart()
    {
        var buffer = new ReadOnlySequence<byte>(Wire.Of(Frontend["Bind"]));
        new MessageReader(ProtocolLimits.Default).TryReadFrontend(ref buffer, out var frame);

        var bind = Assert.IsType<Bind>(FrontendMessageDecoder.Decode(frame));

        Assert.Equal("p1", bind.PortalName);
        Assert.Equal("s1", bind.StatementName);
        Assert.Equal([0, 0, 0, 42], bind.ParameterValues[0]!);
        Assert.Null(bind.ParameterValues[1]);
        Assert.Equal([], bind.ParameterValues[2]!);
        Assert.Equal([0, 1], bind.ResultFormats);
    }

    [Fact]
    public void Decode_error_response_reads_fields_by_code()
    {
        var buffer = new ReadOnlySequence<byte>(Wire.Of(Backend["ErrorResponse"]));
        new MessageReader(ProtocolLimits.Default).TryReadBackend(ref buffer, out var frame);

        var error = Assert.IsType<ErrorResponse>(BackendMessageDecoder.Decode(frame));

        Assert.Equal("ERROR", error.Fields.Severity);
        Assert.Equal("23503", error.Fields.SqlState);
        Assert.Equal("update or delete violates foreign key", error.Fields.Message);
        Assert.Equal("Key (id)=(42) is still referenced.", error.Fields.Detail);
        Assert.Equal("Delete the leads first.", error.Fields.Hint);
        Assert.Equal("SVCMDH", string.Concat(error.Fields.Fields.Select(f => (char)f.Key)));
    }

    [Fact]
    public void Decode_startup_message_names_user_database_and_protocol_options()
    {
        var message = new StartupMessage(StartupRequest.Version(3, 2), [new("user", "alice"), new("_pq_.compression", "on"), new("database", "prod")]);
        var buffer = new ReadOnlySequence<byte>(Wire.Of(message));

        MessageReader.TryReadStartup(ref buffer, out var decoded);

        var startup = Assert.IsType<StartupMessage>(decoded);
        Assert.Equal((3, 2), (startup.MajorVersion, startup.MinorVersion));
        Assert.Equal("alice", startup.User);
        Assert.Equal("prod", startup.Database);
        Assert.Equal(["_pq_.compression"], startup.ProtocolOptions);
    }
}
