using System.Buffers;

namespace Backstop.Proxy.Protocol.Backend;

/// <summary>
/// The body shared by ErrorResponse and NoticeResponse ("Message Formats"): fields, each a Byte1 type code and a String
/// value, ended by a zero byte. Fields of a type this code does not know are kept, since "frontends should silently
/// ignore fields of unrecognized type" and the proxy relays them.
/// </summary>
internal sealed record ErrorFields(IReadOnlyList<KeyValuePair<ErrorField, string>> Fields)
{
    public string? Severity => Get(ErrorField.SeverityNonLocalized) ?? Get(ErrorField.Severity);

    public string? SqlState => Get(ErrorField.Code);

    public string? Message => Get(ErrorField.Message);

    public string? Detail => Get(ErrorField.Detail);

    public string? Hint => Get(ErrorField.Hint);

    /// <summary>Fields in the order PostgreSQL's send_message_to_frontend writes them: S, V, C, M, then D and H if given.</summary>
    public static ErrorFields Create(string severity, string sqlState, string message, string? detail = null, string? hint = null)
    {
        var fields = new List<KeyValuePair<ErrorField, string>>
        {
            new(ErrorField.Severity, severity),
            new(ErrorField.SeverityNonLocalized, severity),
            new(ErrorField.Code, sqlState),
            new(ErrorField.Message, message),
        };
        if (detail is not null)
        {
            fields.Add(new(ErrorField.Detail, detail));
        }

        if (hint is not null)
        {
            fields.Add(new(ErrorField.Hint, hint));
        }

        return new ErrorFields(fields);
    }

    public string? Get(ErrorField field)
    {
        foreach (var (type, value) in Fields)
        {
            if (type == field)
            {
                return value;
            }
        }

        return null;
    }

    internal static ErrorFields Read(ReadOnlySequence<byte> payload, string message)
    {
        var reader = new PayloadReader(payload, message);
        var fields = new List<KeyValuePair<ErrorField, string>>();
        while (true)
        {
            // Byte1: a code identifying the field type; if zero, this is the message terminator and no string follows.
            var type = reader.ReadByte("field type");
            if (type == 0)
            {
                reader.ExpectEnd();
                return new ErrorFields(fields);
            }

            // String: the field value.
            fields.Add(new((ErrorField)type, reader.ReadCString($"value of field {MessageReader.Describe(type)}")));
        }
    }

    internal void Write(ProtocolWriter writer)
    {
        foreach (var (type, value) in Fields)
        {
            writer.WriteByte((byte)type);
            writer.WriteCString(value);
        }

        writer.WriteByte(0);
    }
}
