using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Backstop.Core.Team;

namespace Backstop.Proxy.Upstream;

/// <summary>
/// The client side of SCRAM-SHA-256 (RFC 5802 section 3, RFC 7677), as the proxy signs in to the upstream server with
/// the environment's credentials: without channel binding ("n,,"), and it checks the server's signature, so a server
/// that does not know the password is not believed.
/// </summary>
internal sealed class ScramClient(string password)
{
    private readonly string _clientNonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
    private string _clientFirstBare = "";
    private byte[] _expectedServerSignature = [];

    public byte[] ClientFirst()
    {
        // The user name is in the startup message; PostgreSQL ignores the one here (src/backend/libpq/auth-scram.c).
        _clientFirstBare = $"n=,r={_clientNonce}";
        return Encoding.ASCII.GetBytes("n,," + _clientFirstBare);
    }

    /// <exception cref="UpstreamException">server-first is malformed, or its nonce does not extend ours.</exception>
    public byte[] ClientFinal(byte[] serverFirstBytes)
    {
        var serverFirst = Encoding.ASCII.GetString(serverFirstBytes);
        var attributes = serverFirst.Split(',').Where(a => a.Length > 2 && a[1] == '=').ToDictionary(a => a[..1], a => a[2..], StringComparer.Ordinal);
        if (!attributes.TryGetValue("r", out var nonce) || !nonce.StartsWith(_clientNonce, StringComparison.Ordinal) || nonce.Length == _clientNonce.Length
            || !attributes.TryGetValue("s", out var saltText) || !attributes.TryGetValue("i", out var iterationText)
            || !int.TryParse(iterationText, NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations is < 1 or > 10_000_000)
        {
            throw new UpstreamException("the upstream server's SCRAM server-first-message is malformed");
        }

        byte[] salt;
        try
        {
            salt = Convert.FromBase64String(saltText);
        }
        catch (FormatException)
        {
            throw new UpstreamException("the upstream server's SCRAM salt is not base64");
        }

        var salted = ScramVerifier.SaltedPassword(password, salt, iterations);
        var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        var serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        var withoutProof = $"c=biws,r={nonce}";
        var authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{serverFirst},{withoutProof}");
        var signature = HMACSHA256.HashData(SHA256.HashData(clientKey), authMessage);
        var proof = new byte[clientKey.Length];
        for (var i = 0; i < proof.Length; i++)
        {
            proof[i] = (byte)(clientKey[i] ^ signature[i]);
        }

        _expectedServerSignature = HMACSHA256.HashData(serverKey, authMessage);
        return Encoding.ASCII.GetBytes($"{withoutProof},p={Convert.ToBase64String(proof)}");
    }

    /// <exception cref="UpstreamException">the server's signature is not the one only a server that knows the password can make.</exception>
    public void CheckServerFinal(byte[] serverFinal)
    {
        var text = Encoding.ASCII.GetString(serverFinal);
        var given = text.StartsWith("v=", StringComparison.Ordinal) ? text[2..].Split(',')[0] : "";
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Convert.ToBase64String(_expectedServerSignature)), Encoding.ASCII.GetBytes(given)))
        {
            throw new UpstreamException("the upstream server's SCRAM signature is wrong: it does not know the password, so the proxy does not trust it");
        }
    }
}
