using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Backstop.Core.Configuration;
using Backstop.Proxy.Sessions;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Proxy.Tests.Listener;

/// <summary>
/// A database of the shared sandbox cluster for the listener tests, with a small table to read through the proxy, and
/// the "dev" environment that points at it with the sandbox's own credentials (the cluster trusts local connections).
/// </summary>
public sealed class ListenerDatabase : IAsyncLifetime
{
    public static readonly string[] Fruits = ["apple", "banana", "cherry"];

    private static readonly Lazy<X509Certificate2> SelfSigned = new(CreateCertificate);

    internal string ConnectionString { get; private set; } = "";

    internal ProxyTarget Target { get; private set; } = null!;

    /// <summary>A self-signed certificate for 127.0.0.1, made in the test: what server.tls would give the proxy.</summary>
    internal static X509Certificate2 Certificate => SelfSigned.Value;

    public async Task InitializeAsync()
    {
        ConnectionString = await PostgresSandbox.CreateDatabaseAsync("listener");
        await PostgresSandbox.ExecuteAsync(ConnectionString,
            "CREATE TABLE fruits (id int PRIMARY KEY, name text NOT NULL); " +
            "INSERT INTO fruits VALUES " + string.Join(", ", Fruits.Select((name, i) => $"({i + 1}, '{name}')")));
        var parsed = new NpgsqlConnectionStringBuilder(ConnectionString);
        Target = ListenerBackend.Target(parsed.Host!, parsed.Port, parsed.Database!, parsed.Username!, parsed.Password);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Starts a proxy on 127.0.0.1, port 0, with the settings the test changes.</summary>
    internal RunningProxy Start(Func<ProxySettings, ProxySettings>? settings = null, bool tls = false)
    {
        var backend = new ListenerBackend(Target);
        var configured = (settings ?? (s => s))(new ProxySettings { Listen = "127.0.0.1:0" });
        var log = new ConcurrentQueue<string>();
        var server = new ProxyServer(configured, backend, tls ? Certificate : null, TimeProvider.System, log.Enqueue);
        server.Start();
        return new RunningProxy(server, backend, log);
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=backstop listener test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        // Through PKCS#12, so that the private key is a persisted one that SslStream can use on every platform.
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
    }
}

/// <summary>A started <see cref="ProxyServer"/>, its backend and what it logged; disposing it stops the server.</summary>
internal sealed class RunningProxy(ProxyServer server, ListenerBackend backend, ConcurrentQueue<string> log) : IAsyncDisposable
{
    public ProxyServer Server { get; } = server;

    public ListenerBackend Backend { get; } = backend;

    /// <summary>Lines the server logged: a session that ended with a fault of the proxy's own shows up here.</summary>
    public ConcurrentQueue<string> Log { get; } = log;

    public IPEndPoint Endpoint => Server.Endpoint!;

    public string NpgsqlConnectionString(string user = "alice", string password = ListenerBackend.AlicePassword, string sslMode = "Disable") =>
        $"Host=127.0.0.1;Port={Endpoint.Port};Username={user};Password={password};Database=dev;SSL Mode={sslMode};Pooling=false;Timeout=15;Command Timeout=30";

    public Task<RawClient> ConnectAsync() => RawClient.ConnectAsync(Endpoint);

    /// <summary>Waits until the server has no client connection left (each session ends on its own after its client goes).</summary>
    public async Task<int> WaitForNoConnectionsAsync(TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (Server.Connections > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        return Server.Connections;
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
