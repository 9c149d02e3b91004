namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>The Byte1 of Describe and Close: 'S' for a prepared statement, 'P' for a portal ("Message Formats").</summary>
internal enum PortalOrStatement : byte
{
    Statement = (byte)'S',
    Portal = (byte)'P',
}
