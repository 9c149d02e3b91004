using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Backstop.Testing;

namespace Backstop.Cli.Tests.Team;

/// <summary>
/// The server on https with its certificate and key as PEM files (issue 15, point 1): a CLI that trusts the certificate
/// signs in and works; one that does not is refused before it sends a password.
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class TlsTests : IAsyncLifetime
{
    private TeamSetup _team = null!;
    private string _certificate = "";

    public async Task InitializeAsync()
    {
        _team = await TeamSetup.StartAsync(
            serverSettings: "  tls: { certificate: tls.crt, key: tls.key }\n",
            listen: "https://127.0.0.1:0",
            before: (workspace, _) =>
            {
                _certificate = Path.Combine(workspace.Directory, "tls.crt");
                WriteSelfSigned(_certificate, Path.Combine(workspace.Directory, "tls.key"));
                return Task.CompletedTask;
            });
    }

    public async Task DisposeAsync() => await _team.DisposeAsync();

    [Fact]
    public async Task Cli_that_trusts_the_certificate_signs_in_over_https_and_one_that_does_not_is_refused()
    {
        Assert.StartsWith("https://", _team.Server.Url);
        _team.Alice.Variables["SSL_CERT_FILE"] = _certificate;
        var login = await _team.Alice.LoginAsync(_team.Server.Url, TeamSetup.AlicePassword);
        Assert.True(login.ExitCode == 0, login.ToString());
        var listed = await _team.Alice.RunAsync("approvals");
        Assert.True(listed.ExitCode == 0, listed.ToString());

        var untrusting = await _team.Bob.LoginAsync(_team.Server.Url, TeamSetup.BobPassword);
        Assert.True(untrusting.ExitCode == 1, untrusting.ToString());
        Assert.Contains("cannot reach the Backstop server", untrusting.Error);
        Assert.False(File.Exists(_team.Bob.CredentialsPath));
    }

    internal static void WriteSelfSigned(string certificatePath, string keyPath)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=backstop test server", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
    }
}
