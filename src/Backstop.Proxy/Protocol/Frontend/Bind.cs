using System.Buffers;

namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>
/// Bind (F), "Message Formats": binds parameter values to a prepared statement, making a portal. A null entry of
/// <see cref="ParameterValues"/> is SQL NULL (length -1 on the wire).
/// </summary>
internal sealed record Bind(
    string PortalName,
    string StatementName,
    IReadOnlyList<short> ParameterFormats,
    IReadOnlyList<byte[]?> ParameterValues,
    IReadOnlyList<short> ResultFormats) : FrontendMessage
{
    public static Bind Read(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "Bind");
        // String: the name of the destination portal (an empty string selects the unnamed portal).
        var portal = reader.ReadCString("portal name");
        // String: the name of the source prepared statement (an empty string selects the unnamed prepared statement).
        var statement = reader.ReadCString("statement name");
        // Int16: the number of parameter format codes (0, 1 or one per parameter); Int16 each: 0 text, 1 binary.
        var parameterFormats = ReadFormats(ref reader, "parameter format code count");
        // Int16: the number of parameter values (possibly zero); each at least an Int32 length.
        var count = reader.ReadCount("parameter value count", minimumItemBytes: 4);
        var values = new byte[]?[count];
        for (var i = 0; i < count; i++)
        {
            // Int32: the length of the parameter value, in bytes (not including itself); -1 is NULL, and no value bytes follow.
            var length = reader.ReadInt32("parameter value length");
            values[i] = length == -1 ? null : reader.ReadBytes(length, $"value of parameter ${i + 1}");
        }

        // Int16: the number of result-column format codes; Int16 each.
        var resultFormats = ReadFormats(ref reader, "result format code count");
        reader.ExpectEnd();
        return new Bind(portal, statement, parameterFormats, values, resultFormats);
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)FrontendMessageCode.Bind);
        writer.WriteCString(PortalName);
        writer.WriteCString(StatementName);
        WriteFormats(writer, ParameterFormats);
        writer.WriteInt16(checked((short)ParameterValues.Count));
        foreach (var value in ParameterValues)
        {
            if (value is null)
            {
                writer.WriteInt32(-1);
            }
            else
            {
                writer.WriteInt32(value.Length);
                writer.WriteBytes(value);
            }
        }

        WriteFormats(writer, ResultFormats);
        writer.FinishMessage();
    }

    private static short[] ReadFormats(ref PayloadReader reader, string field)
    {
        var count = reader.ReadCount(field, minimumItemBytes: 2);
        var formats = new short[count];
        for (var i = 0; i < count; i++)
        {
            formats[i] = reader.ReadInt16("format code");
        }

        return formats;
    }

    private static void WriteFormats(ProtocolWriter writer, IReadOnlyList<short> formats)
    {
        writer.WriteInt16(checked((short)formats.Count));
        foreach (var format in formats)
        {
            writer.WriteInt16(format);
        }
    }
}
