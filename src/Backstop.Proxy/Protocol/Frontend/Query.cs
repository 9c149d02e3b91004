using System.Buffers;

namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>Query (F), "Message Formats": a simple query, which may hold several statements separated by semicolons.</summary>
internal sealed record Query(string Sql) : FrontendMessage
{
    public static Query Read(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "Query");
        // String: the query string itself.
        var sql = reader.ReadCString("query string");
        reader.ExpectEnd();
        return new Query(sql);
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        // Byte1('Q'), then Int32 length of message contents in bytes, including self.
        writer.StartMessage((byte)FrontendMessageCode.Query);
        writer.WriteCString(Sql);
        writer.FinishMessage();
    }
}
