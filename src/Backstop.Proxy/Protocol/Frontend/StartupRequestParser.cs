using System.Buffers;

namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>Tells the four kinds of startup packet apart by their first Int32 and reads the one it is.</summary>
internal static class StartupRequestParser
{
    /// <summary>Parses a startup packet body (after the length word, which the framing has checked).</summary>
    public static StartupRequest Parse(ReadOnlySequence<byte> body)
    {
        var reader = new PayloadReader(body, "startup packet");
        var code = reader.ReadInt32("protocol version");
        switch (code)
        {
            case SslRequest.Code:
                reader.ExpectEnd();
                return SslRequest.Instance;
            case GssEncRequest.Code:
                reader.ExpectEnd();
                return GssEncRequest.Instance;
            case CancelRequest.Code:
                return ParseCancel(ref reader);
        }

        // Only protocol 3 has name/value pairs; another major version is answered by the negotiation (a FATAL 0A000, as
        // PostgreSQL answers it) without reading a layout we do not know.
        if (StartupRequest.Major(code) != 3)
        {
            return new StartupMessage(code, []);
        }

        var parameters = new List<KeyValuePair<string, string>>();
        while (true)
        {
            if (reader.Remaining == 0)
            {
                throw new ProtocolViolationException("invalid startup packet layout: expected terminator as last byte");
            }

            var name = reader.ReadCString("parameter name");
            if (name.Length == 0)
            {
                // ProcessStartupPacket: "invalid startup packet layout: expected terminator as last byte".
                if (reader.Remaining != 0)
                {
                    throw new ProtocolViolationException("invalid startup packet layout: expected terminator as last byte");
                }

                return new StartupMessage(code, parameters);
            }

            var value = reader.ReadCString($"value of parameter \"{name}\"");
            parameters.Add(new(name, value));
        }
    }

    private static CancelRequest ParseCancel(ref PayloadReader reader)
    {
        var processId = reader.ReadInt32("process ID");
        var keyLength = reader.Remaining;
        if (keyLength is < CancelRequest.MinimumKeyLength or > CancelRequest.MaximumKeyLength)
        {
            throw new ProtocolViolationException(
                $"invalid length of cancel request: a secret key of {keyLength} bytes, it must have {CancelRequest.MinimumKeyLength} to {CancelRequest.MaximumKeyLength}");
        }

        return new CancelRequest(processId, reader.ReadRest());
    }
}
