using System.Buffers;

namespace Backstop.Proxy.Protocol.Backend;

/// <summary>
/// ParameterStatus (B), "Message Formats": the current value of a run-time parameter the server reports (server_version,
/// client_encoding, standard_conforming_strings, ...), sent after startup and whenever one changes.
/// </summary>
internal sealed record ParameterStatus(string Name, string Value) : BackendMessage
{
    public static ParameterStatus Read(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "ParameterStatus");
        // String: the name of the run-time parameter being reported.
        var name = reader.ReadCString("parameter name");
        // String: the current value of the parameter.
        var value = reader.ReadCString("parameter value");
        reader.ExpectEnd();
        return new ParameterStatus(name, value);
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)BackendMessageCode.ParameterStatus);
        writer.WriteCString(Name);
        writer.WriteCString(Value);
        writer.FinishMessage();
    }
}
