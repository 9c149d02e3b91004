using System.Buffers;
using Backstop.Proxy.Protocol;
using Backstop.Proxy.Protocol.Backend;
using Backstop.Proxy.Protocol.Frontend;
using Backstop.Proxy.Tests.Support;
using FsCheck;
using FsCheck.Fluent;

namespace Backstop.Proxy.Tests.Protocol;

public sealed class MessageReaderPropertyTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(1000);

    /// <summary>Byte values that are message codes, NULs and lengths' high bytes are made likelier than pure chance would.</summary>
    private static readonly Gen<byte> Bytes = Gen.OneOf(
        Gen.Choose(0, 255).Select(b => (byte)b),
        Gen.Elements("QPBDECSHXdcfFpRKZENv\0\u007f\u0080\u00ff"u8.ToArray()));

    /// <summary>Random bytes, or a valid prefix with random bytes after it, cut into segments of random length.</summary>
    private static readonly Arbitrary<(byte[] Input, int Segment)> Inputs = Gen.OneOf(
            Bytes.ArrayOf(),
            Gen.Elements(ValidPrefixes()).SelectMany(prefix => Bytes.ArrayOf().Select(tail => prefix.Concat(tail).ToArray())))
        .SelectMany(input => Gen.Choose(1, 16).Select(segment => (input, segment)))
        .ToArbitrary();

    [Fact]
    public void TryReadStartup_random_bytes_only_violations_and_bounded_allocation()
    {
        Check.One(Runs, Prop.ForAll(Inputs, input => OnlyViolationsWithinBound(input, ReadStartup)));
    }

    [Fact]
    public void TryReadFrontend_random_bytes_only_violations_and_bounded_allocation()
    {
        var reader = new MessageReader(ProtocolLimits.Default);
        Check.One(Runs, Prop.ForAll(Inputs, input => OnlyViolationsWithinBound(input, buffer => ReadFrontend(reader, buffer))));
    }

    [Fact]
    public void TryReadAuthentication_random_bytes_only_violations_and_bounded_allocation()
    {
        Check.One(Runs, Prop.ForAll(Inputs, input => OnlyViolationsWithinBound(input, ReadAuthentication)));
    }

    [Fact]
    public void TryReadBackend_random_bytes_only_violations_and_bounded_allocation()
    {
        var reader = new MessageReader(ProtocolLimits.Default);
        Check.One(Runs, Prop.ForAll(Inputs, input => OnlyViolationsWithinBound(input, buffer => ReadBackend(reader, buffer))));
    }

    private static bool OnlyViolationsWithinBound((byte[] Input, int Segment) input, Action<ReadOnlySequence<byte>> read)
    {
        var buffer = Wire.Segmented(input.Input, input.Segment);
        var before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            read(buffer);
        }
        catch (ProtocolViolationException)
        {
        }

        // Anything else escapes and fails the property. The bound: a fixed cost (exception, lists, strings' headers)
        // plus a small multiple of what was actually received, never of what was declared.
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        return allocated <= (64 * 1024) + (16L * input.Input.Length);
    }

    private static void ReadStartup(ReadOnlySequence<byte> buffer)
    {
        while (MessageReader.TryReadStartup(ref buffer, out _))
        {
        }
    }

    private static void ReadFrontend(MessageReader reader, ReadOnlySequence<byte> buffer)
    {
        while (reader.TryReadFrontend(ref buffer, out var frame))
        {
            FrontendMessageDecoder.Decode(frame);
        }
    }

    private static void ReadAuthentication(ReadOnlySequence<byte> buffer)
    {
        while (MessageReader.TryReadAuthentication(ref buffer, out var frame))
        {
            try
            {
                SaslInitialResponse.Read(frame.Payload);
            }
            catch (ProtocolViolationException)
            {
                PasswordMessage.Read(frame.Payload);
            }
        }
    }

    private static void ReadBackend(MessageReader reader, ReadOnlySequence<byte> buffer)
    {
        while (reader.TryReadBackend(ref buffer, out var frame))
        {
            BackendMessageDecoder.Decode(frame);
        }
    }

    private static byte[][] ValidPrefixes() =>
    [
        Wire.Of(new StartupMessage(StartupMessage.Protocol30, [new("user", "alice")])),
        Wire.Of(SslRequest.Instance),
        Wire.Of(new Query("SELECT 1")),
        Wire.Of(new Bind("", "s", [0], [[1, 2], null], [])),
        Wire.Of(new Parse("s", "SELECT $1", [23])),
        Wire.Of(new SaslInitialResponse("SCRAM-SHA-256", "n,,n=,r=x"u8.ToArray())),
        Wire.Of(ErrorResponse.Error("42P01", "relation does not exist")),
        Wire.Of(new NegotiateProtocolVersion(StartupMessage.Protocol30, ["_pq_.a"])),
        [(byte)'Q', 0, 0, 0],
        [0, 0, 0],
    ];
}
