using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Backstop.Core.Team;

/// <summary>
/// What the server keeps to check a SCRAM-SHA-256 proof without knowing the password (RFC 5802 section 3, RFC 7677), in
/// PostgreSQL's text form for pg_authid.rolpassword: <c>SCRAM-SHA-256$&lt;iterations&gt;:&lt;salt&gt;$&lt;StoredKey&gt;:&lt;ServerKey&gt;</c>,
/// each binary part in base64 (src/backend/libpq/auth-scram.c, scram_build_secret).
/// <para>
/// For the main branch: Backstop keeps a person's password as an Argon2id hash (Backstop.Core.Team.PasswordHashing),
/// which SCRAM cannot use, because the client proves knowledge of PBKDF2-derived keys. So whenever a password is set
/// (user create, password change, token issue) the server must also store <c>ScramVerifier.Create(password).ToString()</c>
/// beside the Argon2id hash, in its own column; it is as sensitive as a password hash and never leaves the server. A user
/// without a stored verifier cannot sign in through the proxy until their password is set again.
/// </para>
/// </summary>
public sealed record ScramVerifier
{
    public const string Mechanism = "SCRAM-SHA-256";

    /// <summary>PostgreSQL's default scram_iterations (SCRAM_SHA_256_DEFAULT_ITERATIONS); RFC 7677 asks for at least 4096.</summary>
    public const int DefaultIterations = 4096;

    /// <summary>PostgreSQL's SCRAM_DEFAULT_SALT_LEN.</summary>
    public const int SaltLength = 16;

    private const int KeyLength = 32;

    private const int MaximumIterations = 10_000_000;

    private ScramVerifier(int iterations, byte[] salt, byte[] storedKey, byte[] serverKey)
    {
        Iterations = iterations;
        Salt = salt;
        StoredKey = storedKey;
        ServerKey = serverKey;
    }

    public int Iterations { get; }

    public byte[] Salt { get; }

    /// <summary>H(ClientKey), where ClientKey = HMAC(SaltedPassword, "Client Key").</summary>
    public byte[] StoredKey { get; }

    /// <summary>HMAC(SaltedPassword, "Server Key").</summary>
    public byte[] ServerKey { get; }

    /// <summary>A verifier for <paramref name="password"/> with a fresh random salt.</summary>
    public static ScramVerifier Create(string password, int iterations = DefaultIterations) =>
        Create(password, RandomNumberGenerator.GetBytes(SaltLength), iterations);

    /// <summary>A verifier with a given salt: for test vectors and for the mock exchange of an unknown user.</summary>
    public static ScramVerifier Create(string password, byte[] salt, int iterations = DefaultIterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iterations, MaximumIterations);
        var saltedPassword = SaltedPassword(password, salt, iterations);
        var clientKey = HMACSHA256.HashData(saltedPassword, "Client Key"u8);
        var serverKey = HMACSHA256.HashData(saltedPassword, "Server Key"u8);
        return new ScramVerifier(iterations, salt, SHA256.HashData(clientKey), serverKey);
    }

    /// <summary>Reads the text form; null when it is not a SCRAM-SHA-256 verifier (an Argon2id hash, a truncated value).</summary>
    /// <summary>
    /// A verifier no password matches (random keys), with the given salt and iterations: what an unknown user's mock
    /// exchange shows, costing no key derivation.
    /// </summary>
    public static ScramVerifier Unmatchable(byte[] salt, int iterations) =>
        new(iterations, salt, System.Security.Cryptography.RandomNumberGenerator.GetBytes(KeyLength), System.Security.Cryptography.RandomNumberGenerator.GetBytes(KeyLength));

    public static ScramVerifier? TryParse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('$');
        if (parts is not [Mechanism, var parameters, var keys]
            || parameters.Split(':') is not [var iterationsText, var saltText]
            || keys.Split(':') is not [var storedText, var serverText]
            || !int.TryParse(iterationsText, NumberStyles.None, CultureInfo.InvariantCulture, out var iterations)
            || iterations is < 1 or > MaximumIterations)
        {
            return null;
        }

        var salt = FromBase64(saltText);
        var storedKey = FromBase64(storedText);
        var serverKey = FromBase64(serverText);
        return salt is { Length: > 0 } && storedKey?.Length == KeyLength && serverKey?.Length == KeyLength
            ? new ScramVerifier(iterations, salt, storedKey, serverKey)
            : null;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Mechanism}${Iterations}:{Convert.ToBase64String(Salt)}${Convert.ToBase64String(StoredKey)}:{Convert.ToBase64String(ServerKey)}");

    /// <summary>
    /// SaltedPassword := Hi(Normalize(password), salt, i), Hi being PBKDF2 with HMAC-SHA-256 (RFC 5802 section 2.2).
    /// </summary>
    public static byte[] SaltedPassword(string password, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(SaslPrep.Normalize(password)), salt, iterations, HashAlgorithmName.SHA256, KeyLength);

    private static byte[]? FromBase64(string text)
    {
        var bytes = new byte[text.Length];
        return Convert.TryFromBase64String(text, bytes, out var written) ? bytes[..written] : null;
    }
}
