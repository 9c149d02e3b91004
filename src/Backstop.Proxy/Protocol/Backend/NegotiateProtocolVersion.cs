using System.Buffers;

namespace Backstop.Proxy.Protocol.Backend;

/// <summary>
/// NegotiateProtocolVersion (B), "Message Formats": sent after a StartupMessage that asked for a newer minor version
/// than the server has, or for protocol options (<c>_pq_.</c>) it does not know; the session continues with
/// <see cref="NewestVersion"/> and without those options.
/// </summary>
internal sealed record NegotiateProtocolVersion(int NewestVersion, IReadOnlyList<string> UnrecognizedOptions) : BackendMessage
{
    public static NegotiateProtocolVersion Read(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "NegotiateProtocolVersion");
        var version = reader.ReadInt32("protocol version");
        // Int32: number of protocol options not recognized by the server; each at least an empty String's NUL.
        var count = reader.ReadInt32Count("option count", minimumItemBytes: 1);
        var options = new string[count];
        for (var i = 0; i < count; i++)
        {
            options[i] = reader.ReadCString("option name");
        }

        reader.ExpectEnd();
        return new NegotiateProtocolVersion(version, options);
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)BackendMessageCode.NegotiateProtocolVersion);
        // Int32: "Newest minor protocol version supported by the server for the major protocol version requested by
        // the client." PostgreSQL has always sent the whole PG_PROTOCOL_LATEST here (major << 16 | minor, so 196608 for
        // 3.0: SendNegotiateProtocolVersion in src/backend/postmaster/postmaster.c, tcop/backend_startup.c from 17), libpq 18
        // reads it as a full version, and the docs were later reworded to say so; we send the full version too.
        writer.WriteInt32(NewestVersion);
        writer.WriteInt32(UnrecognizedOptions.Count);
        foreach (var option in UnrecognizedOptions)
        {
            // String: the option name.
            writer.WriteCString(option);
        }

        writer.FinishMessage();
    }
}
