namespace Backstop.Proxy.Protocol;

/// <summary>A message a client sends, in the form the proxy reads it and can write it again (to the upstream server).</summary>
internal abstract record FrontendMessage
{
    public abstract void WriteTo(ProtocolWriter writer);
}
