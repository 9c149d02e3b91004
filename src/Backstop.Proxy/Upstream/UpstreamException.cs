namespace Backstop.Proxy.Upstream;

/// <summary>The upstream server could not be reached or refused the proxy; the message never holds a password.</summary>
public sealed class UpstreamException(string message, Exception? inner = null) : Exception(message, inner);
