using System.Security.Cryptography;
using System.Text;

namespace Backstop.Proxy.Tests.Support;

/// <summary>The client side of SCRAM-SHA-256 (RFC 5802 section 3), written from the RFC for the tests alone.</summary>
internal sealed class ScramTestClient(string password, string clientNonce, string gs2Header = "n,,")
{
    private string _clientFirstBare = "";

    public string ClientFirst()
    {
        _clientFirstBare = $"n=,r={clientNonce}";
        return gs2Header + _clientFirstBare;
    }

    public string ClientFinal(string serverFirst)
    {
        var attributes = serverFirst.Split(',').ToDictionary(a => a[..1], a => a[2..], StringComparer.Ordinal);
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(attributes["s"]),
            int.Parse(attributes["i"], System.Globalization.CultureInfo.InvariantCulture), HashAlgorithmName.SHA256, 32);
        var withoutProof = $"c={Convert.ToBase64String(Encoding.ASCII.GetBytes(gs2Header))},r={attributes["r"]}";
        var authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{serverFirst},{withoutProof}");
        var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        var signature = HMACSHA256.HashData(SHA256.HashData(clientKey), authMessage);
        var proof = clientKey.Zip(signature, (k, s) => (byte)(k ^ s)).ToArray();
        return $"{withoutProof},p={Convert.ToBase64String(proof)}";
    }

    /// <summary>Whether server-final's "v=" is HMAC(ServerKey, AuthMessage) for this client's password: the server knew it.</summary>
    public bool VerifyServerFinal(string serverFinal, string serverFirst)
    {
        var attributes = serverFirst.Split(',').ToDictionary(a => a[..1], a => a[2..], StringComparer.Ordinal);
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(attributes["s"]),
            int.Parse(attributes["i"], System.Globalization.CultureInfo.InvariantCulture), HashAlgorithmName.SHA256, 32);
        var withoutProof = $"c={Convert.ToBase64String(Encoding.ASCII.GetBytes(gs2Header))},r={attributes["r"]}";
        var authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{serverFirst},{withoutProof}");
        var serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        return serverFinal == "v=" + Convert.ToBase64String(HMACSHA256.HashData(serverKey, authMessage));
    }
}
