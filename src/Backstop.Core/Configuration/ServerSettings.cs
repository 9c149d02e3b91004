namespace Backstop.Core.Configuration;

/// <summary>The <c>server:</c> section of backstop.yaml: how <c>backstop server</c> listens and how long what it grants lasts (docs/server.md).</summary>
public sealed record ServerSettings
{
    public const string DefaultUrl = "http://127.0.0.1:8440";

    /// <summary>Where Kestrel listens: http:// or https:// URLs; https needs <see cref="Certificate"/> and <see cref="Key"/>.</summary>
    public IReadOnlyList<string> Urls { get; init; } = [DefaultUrl];

    /// <summary>The TLS certificate chain (PEM), absolute or relative to backstop.yaml.</summary>
    public string? Certificate { get; init; }

    /// <summary>The TLS private key (PEM).</summary>
    public string? Key { get; init; }

    /// <summary>The PEM file of the key that signs audit checkpoints; created by <c>backstop server init</c>.</summary>
    public string SigningKey { get; init; } = ".backstop/server-signing-key.pem";

    /// <summary>How long a sign-in token lasts.</summary>
    public TimeSpan TokenExpiry { get; init; } = TimeSpan.FromHours(12);

    /// <summary>How long a request waits for its approvals before it expires.</summary>
    public TimeSpan ApprovalExpiry { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How long after its approval a request may be executed.</summary>
    public TimeSpan ExecuteWindow { get; init; } = TimeSpan.FromHours(4);

    /// <summary>Failed sign-ins in a row that lock an account until an admin resets its password.</summary>
    public int LockAfter { get; init; } = 20;

    /// <summary>Sign-in attempts one client address may make per minute, failed or not.</summary>
    public int SignInsPerMinute { get; init; } = 30;

    /// <summary>
    /// The load balancers or reverse proxies in front of the server (IP addresses): from them, and only from them, the
    /// client's address is taken from X-Forwarded-For (for the audit log and the sign-in rate limit). Empty: the
    /// connection's own address counts.
    /// </summary>
    public IReadOnlyList<System.Net.IPAddress> TrustedProxies { get; init; } = [];

    /// <summary>
    /// The address people open the server at (no trailing slash), for the links in notifications; null: the first
    /// address the server listens on.
    /// </summary>
    public string? PublicUrl { get; init; }

    /// <summary>The PostgreSQL protocol listener (docs/proxy.md); null: no proxy.</summary>
    public ProxySettings? Proxy { get; init; }

    public static ServerSettings Default { get; } = new();
}

/// <summary>
/// The <c>server.proxy:</c> section: one PostgreSQL protocol listener for every environment, where the database name a
/// client connects to names the environment (docs/proxy.md).
/// </summary>
public sealed record ProxySettings
{
    public const string DefaultListen = "127.0.0.1:6440";

    /// <summary>Address and port, <c>HOST:PORT</c> (an IP address or localhost).</summary>
    public string Listen { get; init; } = DefaultListen;

    /// <summary>Refuse a client that does not start TLS (needs server.tls).</summary>
    public bool RequireTls { get; init; }

    /// <summary>How long a client has from connecting to being signed in.</summary>
    public TimeSpan AuthenticationTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A session that sends nothing for this long is closed; zero: never.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromHours(8);

    /// <summary>Sessions one Backstop user may hold at once.</summary>
    public int MaxConnectionsPerUser { get; init; } = 50;

    /// <summary>Client connections in all, signed in or not.</summary>
    public int MaxConnections { get; init; } = 1000;

    /// <summary>What the audit log keeps of bind parameters: <c>hash</c> (SHA-256), <c>redact</c>, or <c>keep</c>.</summary>
    public string Parameters { get; init; } = "hash";

    /// <summary>
    /// Whether a service account's session may start while the audit log cannot be written (person sessions never
    /// may): false refuses it, as for people.
    /// </summary>
    public bool ServiceSessionsWithoutAudit { get; init; }

    /// <summary>
    /// Whether a table a person's guarded write reached gets Backstop's persistent row trigger, so that the next guarded
    /// write there runs once instead of twice (docs/proxy.md, "One run"). False leaves the tables as they are.
    /// </summary>
    public bool PersistentCapture { get; init; } = true;
}
