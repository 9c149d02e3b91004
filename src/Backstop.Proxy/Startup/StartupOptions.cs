namespace Backstop.Proxy.Startup;

/// <summary>What the listener offers before authentication.</summary>
internal sealed record StartupOptions
{
    /// <summary>A certificate is configured, so an SSLRequest is answered 'S'.</summary>
    public bool TlsAvailable { get; init; }

    /// <summary>A StartupMessage sent in the clear is refused (the listener's <c>require_tls</c>).</summary>
    public bool RequireTls { get; init; }
}
