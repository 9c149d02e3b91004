namespace Backstop.Proxy.Protocol;

/// <summary>A message a server sends: written by the proxy to its clients, read by it from the upstream server.</summary>
internal abstract record BackendMessage
{
    public abstract void WriteTo(ProtocolWriter writer);
}
