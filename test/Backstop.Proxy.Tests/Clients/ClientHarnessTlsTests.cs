using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Backstop.Postgres.Sandbox;
using Backstop.Testing;
using Backstop.Testing.Clients;
using Npgsql;

namespace Backstop.Proxy.Tests.Clients;

/// <summary>
/// <see cref="ClientConnection.RequireTls"/> reaches both clients: against a sandbox of its own with TLS on (a
/// self-signed certificate made here), the server sees their connections encrypted.
/// </summary>
public sealed class ClientHarnessTlsTests(ClientHarnessTlsTests.TlsServer server) : IClassFixture<ClientHarnessTlsTests.TlsServer>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static readonly ClientStep Encrypted = ClientStep.Query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");

    [Theory]
    [MemberData(nameof(ClientHarnessTests.Clients), MemberType = typeof(ClientHarnessTests))]
    public async Task RequireTls_connects_encrypted(string name)
    {
        var results = await ClientHarnessTests.Client(name).RunAsync(server.Connection with { RequireTls = true }, [Encrypted], Timeout);

        Assert.Equal("t", results[0].Scalar);
    }

    [Fact]
    public async Task Without_RequireTls_pgjdbc_prefers_TLS_as_DBeaver_does_and_node_postgres_stays_plain()
    {
        var jdbc = await JdbcClient.Instance.RunAsync(server.Connection, [Encrypted], Timeout);
        var node = await NodeClient.Instance.RunAsync(server.Connection, [Encrypted], Timeout);

        Assert.Equal(("t", "f"), (jdbc[0].Scalar, node[0].Scalar));
    }

    /// <summary>A sandbox cluster of its own (the shared one has no TLS) with ssl on, trusting local connections.</summary>
    public sealed class TlsServer : IAsyncLifetime
    {
        private SandboxCluster? cluster;

        internal ClientConnection Connection { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            cluster = await SandboxCluster.StartAsync(new SandboxOptions { Name = "test-" + Environment.ProcessId + "-tls" + Guid.NewGuid().ToString("N")[..5] });
            var certificateFile = Path.Combine(cluster.Info.Directory, "server.crt");
            var keyFile = Path.Combine(cluster.Info.Directory, "server.key");
            using (var key = RSA.Create(2048))
            {
                var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
                await File.WriteAllTextAsync(certificateFile, certificate.ExportCertificatePem());
                await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());
            }

            // The server refuses a key that others can read, or that belongs to someone but itself or root.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            await GiveToServerAsync(cluster.Info.DataDirectory, certificateFile, keyFile);

            var connectionString = cluster.ConnectionString();
            await PostgresSandbox.ExecuteAsync(connectionString, $"ALTER SYSTEM SET ssl_cert_file = '{certificateFile}'");
            await PostgresSandbox.ExecuteAsync(connectionString, $"ALTER SYSTEM SET ssl_key_file = '{keyFile}'");
            await PostgresSandbox.ExecuteAsync(connectionString, "ALTER SYSTEM SET ssl = on");
            await PostgresSandbox.ExecuteAsync(connectionString, "SELECT pg_reload_conf()");
            await WaitForTlsAsync(connectionString);

            Connection = new ClientConnection("127.0.0.1", cluster.Info.Port, "postgres", "postgres", "unused: the sandbox trusts local connections");
            await Task.WhenAll(JdbcClient.Instance.PrepareAsync(), NodeClient.Instance.PrepareAsync());
        }

        public async Task DisposeAsync()
        {
            if (cluster is not null)
            {
                await cluster.StopAsync();
            }
        }

        /// <summary>As root the server runs as the owner of its data directory: the files become that user's too.</summary>
        private static async Task GiveToServerAsync(string dataDirectory, params string[] files)
        {
            if (!Environment.IsPrivilegedProcess)
            {
                return;
            }

            var start = new ProcessStartInfo("chown") { UseShellExecute = false, RedirectStandardError = true };
            foreach (var argument in (string[])["--reference=" + dataDirectory, .. files])
            {
                start.ArgumentList.Add(argument);
            }

            using var chown = Process.Start(start)!;
            var error = await chown.StandardError.ReadToEndAsync();
            await chown.WaitForExitAsync();
            Assert.True(chown.ExitCode == 0, "chown failed: " + error);
        }

        private static async Task WaitForTlsAsync(string connectionString)
        {
            var required = new NpgsqlConnectionStringBuilder(connectionString) { SslMode = SslMode.Require }.ConnectionString;
            for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(100))
            {
                try
                {
                    await using var connection = new NpgsqlConnection(required);
                    await connection.OpenAsync();
                    return;
                }
                catch (NpgsqlException) when (DateTime.UtcNow < deadline)
                {
                    // The postmaster has not read its configuration again yet.
                }
            }
        }
    }
}
