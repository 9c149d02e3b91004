using System.Buffers;

namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>Parse (F), "Message Formats": prepares one statement, named or unnamed (the empty name).</summary>
internal sealed record Parse(string StatementName, string Sql, IReadOnlyList<int> ParameterTypes) : FrontendMessage
{
    public static Parse Read(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "Parse");
        // String: the name of the destination prepared statement (an empty string selects the unnamed prepared statement).
        var name = reader.ReadCString("statement name");
        // String: the query string to be parsed.
        var sql = reader.ReadCString("query string");
        // Int16: the number of parameter data types specified (can be zero); Int32 each: the OID of a parameter's type.
        var count = reader.ReadCount("parameter type count", minimumItemBytes: 4);
        var types = new int[count];
        for (var i = 0; i < count; i++)
        {
            types[i] = reader.ReadInt32("parameter type OID");
        }

        reader.ExpectEnd();
        return new Parse(name, sql, types);
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)FrontendMessageCode.Parse);
        writer.WriteCString(StatementName);
        writer.WriteCString(Sql);
        writer.WriteInt16(checked((short)ParameterTypes.Count));
        foreach (var type in ParameterTypes)
        {
            writer.WriteInt32(type);
        }

        writer.FinishMessage();
    }
}
