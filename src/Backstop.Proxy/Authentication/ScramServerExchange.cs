using Backstop.Core.Team;
using System.Security.Cryptography;
using System.Text;
using Backstop.Proxy.Protocol;
using Backstop.Proxy.Protocol.Frontend;

namespace Backstop.Proxy.Authentication;

/// <summary>
/// The server side of one SCRAM-SHA-256 exchange (RFC 5802 section 5, RFC 7677) as PostgreSQL runs it ("SASL
/// Authentication" in the protocol chapter; src/backend/libpq/auth-scram.c): the user name comes from the startup
/// packet, the SCRAM <c>n=</c> attribute is ignored, and channel binding is not offered, so the mechanism list is
/// SCRAM-SHA-256 alone (SCRAM-SHA-256-PLUS would need tls-server-end-point). Malformed client messages throw
/// <see cref="ProtocolViolationException"/> (PostgreSQL: 08P01 "malformed SCRAM message"); a wrong proof is an
/// <see cref="ScramOutcome.Authenticated"/> of false, to be answered with <see cref="AuthenticationFailure.PasswordFailed"/>.
/// </summary>
internal sealed class ScramServerExchange
{
    /// <summary>The mechanisms of AuthenticationSASL, in order of preference.</summary>
    public static readonly IReadOnlyList<string> Mechanisms = [ScramVerifier.Mechanism];

    /// <summary>
    /// libpq, Npgsql, pgjdbc and node-postgres send 24 characters (18 random bytes in base64); a client nonce longer than
    /// this is refused rather than echoed back and hashed.
    /// </summary>
    public const int MaximumClientNonceLength = 256;

    /// <summary>Upper bound for client-first-message and client-final-message, well under PG_MAX_AUTH_TOKEN_LENGTH.</summary>
    public const int MaximumMessageLength = 2048;

    /// <summary>PostgreSQL's SCRAM_RAW_NONCE_LEN: 18 random bytes, 24 characters of base64.</summary>
    private const int ServerNonceBytes = 18;

    private const int ProofLength = 32;

    private readonly ScramVerifier _verifier;

    /// <summary>The verifier first, then the person's live tokens' (same salt and iterations): any of them may sign in.</summary>
    private readonly IReadOnlyList<ScramVerifier> _secrets;
    private readonly bool _knownUser;
    private readonly string _serverNonce;
    private Step _step = Step.AwaitingClientFirst;
    private string _gs2Header = "";
    private string _clientFirstBare = "";
    private string _serverFirst = "";
    private string _nonce = "";

    private ScramServerExchange(ScramVerifier verifier, bool knownUser, string serverNonce, IReadOnlyList<ScramVerifier>? alternates = null)
    {
        _verifier = verifier;
        _secrets = [verifier, .. (alternates ?? []).Where(a => a.Iterations == verifier.Iterations && a.Salt.AsSpan().SequenceEqual(verifier.Salt))];
        _knownUser = knownUser;
        _serverNonce = serverNonce;
    }

    private enum Step
    {
        AwaitingClientFirst,
        AwaitingClientFinal,
        Done,
    }

    public static ScramServerExchange ForUser(ScramVerifier verifier) =>
        new(verifier, knownUser: true, Convert.ToBase64String(RandomNumberGenerator.GetBytes(ServerNonceBytes)));

    /// <summary>
    /// An exchange that accepts the password or any of <paramref name="alternates"/> (a person's live sign-in tokens,
    /// whose verifiers share the password's salt and iterations; one that does not is ignored): server-first carries
    /// one salt, and the client's proof is checked against each StoredKey (docs/proxy.md).
    /// </summary>
    public static ScramServerExchange ForUser(ScramVerifier verifier, IReadOnlyList<ScramVerifier> alternates) =>
        new(verifier, knownUser: true, Convert.ToBase64String(RandomNumberGenerator.GetBytes(ServerNonceBytes)), alternates);

    /// <summary>
    /// An exchange for a user that does not exist or has no verifier, played to the end and then failed, so that the
    /// answer does not tell who exists: like PostgreSQL's scram_mock_salt, the salt is derived from the user name and a
    /// server secret and so stays the same across attempts.
    /// </summary>
    /// <param name="iterations">the iteration count real verifiers have, so that server-first looks the same for everyone.</param>
    public static ScramServerExchange ForUnknownUser(string user, ReadOnlySpan<byte> mockSecret, int iterations = ScramVerifier.DefaultIterations)
    {
        var salt = HMACSHA256.HashData(mockSecret, Encoding.UTF8.GetBytes(user))[..ScramVerifier.SaltLength];
        var verifier = ScramVerifier.Unmatchable(salt, iterations);
        return new(verifier, knownUser: false, Convert.ToBase64String(RandomNumberGenerator.GetBytes(ServerNonceBytes)));
    }

    /// <summary>For test vectors (RFC 7677 section 3 fixes the server nonce).</summary>
    internal static ScramServerExchange WithServerNonce(ScramVerifier verifier, string serverNonce) =>
        new(verifier, knownUser: true, serverNonce);

    /// <summary>Reads SASLInitialResponse and returns server-first-message for AuthenticationSASLContinue.</summary>
    public byte[] HandleInitialResponse(SaslInitialResponse response)
    {
        if (!string.Equals(response.Mechanism, ScramVerifier.Mechanism, StringComparison.Ordinal))
        {
            // auth.c, CheckSASLAuth: "client selected an invalid SASL authentication mechanism".
            throw new ProtocolViolationException($"client selected an invalid SASL authentication mechanism \"{response.Mechanism}\"; this server offers {ScramVerifier.Mechanism}");
        }

        return HandleClientFirst(response.InitialResponse
            ?? throw Malformed("the SASLInitialResponse carries no client-first-message"));
    }

    /// <summary>client-first-message = gs2-header client-first-message-bare (RFC 5802 section 7).</summary>
    public byte[] HandleClientFirst(ReadOnlySpan<byte> message)
    {
        Expect(Step.AwaitingClientFirst);
        var text = Decode(message, "client-first-message");

        // gs2-cbind-flag: "n" (client does not support channel binding), "y" (it does, but thinks the server does not:
        // true here, since only SCRAM-SHA-256 is offered), or "p=" (it requires binding, which only -PLUS offers).
        var rest = text switch
        {
            _ when text.StartsWith("n,", StringComparison.Ordinal) || text.StartsWith("y,", StringComparison.Ordinal) => text[2..],
            _ when text.StartsWith("p=", StringComparison.Ordinal) => throw Malformed(
                "the client requires channel binding (p=), but selected SCRAM-SHA-256, which has none; channel binding needs SCRAM-SHA-256-PLUS, which this server does not offer"),
            _ => throw Malformed("unexpected channel-binding flag in client-first-message; expected 'n', 'y' or 'p='"),
        };

        // [ authzid ] ",": PostgreSQL supports no authorization identity.
        if (rest.StartsWith("a=", StringComparison.Ordinal))
        {
            throw Malformed("the client uses an authorization identity (a=), which is not supported");
        }

        if (!rest.StartsWith(','))
        {
            throw Malformed("the gs2 header of client-first-message does not end with ','");
        }

        _gs2Header = text[..3];
        _clientFirstBare = rest[1..];
        var attributes = _clientFirstBare.Split(',');
        if (attributes[0].StartsWith("m=", StringComparison.Ordinal))
        {
            throw Malformed("the client requires an unsupported SCRAM extension (m=)");
        }

        if (attributes.Length < 2 || !attributes[0].StartsWith("n=", StringComparison.Ordinal) || !attributes[1].StartsWith("r=", StringComparison.Ordinal))
        {
            throw Malformed("client-first-message must carry the attributes n= and r=, in that order");
        }

        var clientNonce = attributes[1][2..];
        if (clientNonce.Length == 0 || clientNonce.Length > MaximumClientNonceLength)
        {
            throw Malformed($"the client nonce has {clientNonce.Length} characters; it must have 1 to {MaximumClientNonceLength}");
        }

        if (!clientNonce.All(c => c is >= '!' and <= '~'))
        {
            throw Malformed("the client nonce holds characters outside printable ASCII");
        }

        CheckExtensions(attributes, "client-first-message");
        _nonce = clientNonce + _serverNonce;
        _serverFirst = $"r={_nonce},s={Convert.ToBase64String(_verifier.Salt)},i={_verifier.Iterations.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        _step = Step.AwaitingClientFinal;
        return Encoding.ASCII.GetBytes(_serverFirst);
    }

    /// <summary>
    /// client-final-message = channel-binding "," nonce ["," extensions] "," proof. Returns the outcome; on success its
    /// server-final-message ("v=" ServerSignature) goes in AuthenticationSASLFinal, followed by AuthenticationOk.
    /// </summary>
    public ScramOutcome HandleClientFinal(ReadOnlySpan<byte> message)
    {
        Expect(Step.AwaitingClientFinal);
        _step = Step.Done;
        var text = Decode(message, "client-final-message");
        var proofAt = text.LastIndexOf(",p=", StringComparison.Ordinal);
        if (proofAt < 0)
        {
            throw Malformed("client-final-message carries no proof (p=); was it truncated?");
        }

        var withoutProof = text[..proofAt];
        var attributes = withoutProof.Split(',');
        if (attributes.Length < 2 || !attributes[0].StartsWith("c=", StringComparison.Ordinal) || !attributes[1].StartsWith("r=", StringComparison.Ordinal))
        {
            throw Malformed("client-final-message must begin with the attributes c= and r=");
        }

        // c=: base64 of the gs2-header the client sent first ("biws" for "n,,", "eSws" for "y,,"), no binding data.
        if (!string.Equals(attributes[0][2..], Convert.ToBase64String(Encoding.ASCII.GetBytes(_gs2Header)), StringComparison.Ordinal))
        {
            throw Malformed("unexpected SCRAM channel-binding attribute in client-final-message");
        }

        // r=: exactly the nonce of server-first-message, the client's own extended by ours.
        if (!string.Equals(attributes[1][2..], _nonce, StringComparison.Ordinal))
        {
            throw Malformed("the nonce of client-final-message does not match the one the server sent");
        }

        CheckExtensions(attributes, "client-final-message");
        var proof = new byte[ProofLength];
        if (!Convert.TryFromBase64String(text[(proofAt + 3)..], proof, out var proofLength) || proofLength != ProofLength)
        {
            throw Malformed("malformed proof in client-final-message: it must be 32 bytes in base64");
        }

        // AuthMessage := client-first-message-bare + "," + server-first-message + "," + client-final-message-without-proof
        var authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{_serverFirst},{withoutProof}");

        // ClientSignature := HMAC(StoredKey, AuthMessage); ClientKey := ClientProof XOR ClientSignature; the proof holds
        // when H(ClientKey) = StoredKey (RFC 5802 section 3). Every secret is tried, so the time does not tell which held.
        ScramVerifier? matched = null;
        foreach (var secret in _secrets)
        {
            var clientSignature = HMACSHA256.HashData(secret.StoredKey, authMessage);
            var clientKey = new byte[ProofLength];
            for (var i = 0; i < ProofLength; i++)
            {
                clientKey[i] = (byte)(proof[i] ^ clientSignature[i]);
            }

            if (CryptographicOperations.FixedTimeEquals(SHA256.HashData(clientKey), secret.StoredKey))
            {
                matched ??= secret;
            }
        }

        if (matched is null || !_knownUser)
        {
            return new ScramOutcome(false, null);
        }

        // ServerSignature := HMAC(ServerKey, AuthMessage); server-final-message = "v=" base64(ServerSignature).
        var serverSignature = HMACSHA256.HashData(matched.ServerKey, authMessage);
        return new ScramOutcome(true, Encoding.ASCII.GetBytes("v=" + Convert.ToBase64String(serverSignature)));
    }

    private void Expect(Step step)
    {
        if (_step != step)
        {
            throw new ProtocolViolationException($"unexpected SASL message: the SCRAM exchange is {_step switch
            {
                Step.AwaitingClientFirst => "waiting for client-first-message",
                Step.AwaitingClientFinal => "waiting for client-final-message",
                _ => "over",
            }}");
        }
    }

    /// <summary>
    /// Attributes after the nonce are extensions, none of which PostgreSQL supports or reads; each must still be an
    /// attribute ("a letter, '=', a value", RFC 5802 section 7), as auth-scram.c's read_any_attr insists.
    /// </summary>
    private static void CheckExtensions(string[] attributes, string message)
    {
        foreach (var extension in attributes.Skip(2))
        {
            if (extension.Length < 2 || !char.IsAsciiLetter(extension[0]) || extension[1] != '=')
            {
                throw Malformed($"{message} holds \"{(extension.Length > 20 ? extension[..20] + "..." : extension)}\" where an attribute was expected");
            }
        }
    }

    private static string Decode(ReadOnlySpan<byte> message, string name)
    {
        if (message.Length > MaximumMessageLength)
        {
            throw Malformed($"{name} has {message.Length} bytes; at most {MaximumMessageLength} are accepted");
        }

        if (message.IndexOf((byte)0) >= 0)
        {
            throw Malformed($"{name} contains a NUL byte");
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(message);
        }
        catch (DecoderFallbackException)
        {
            throw Malformed($"{name} is not valid UTF-8");
        }
    }

    private static ProtocolViolationException Malformed(string detail) => new($"malformed SCRAM message: {detail}");
}
