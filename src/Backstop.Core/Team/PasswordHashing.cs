using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Konscious.Security.Cryptography;

namespace Backstop.Core.Team;

/// <summary>
/// Passwords are kept as Argon2id hashes (RFC 9106) in the PHC string format
/// <c>$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH</c>, with the parameters OWASP's password storage cheat sheet gives as
/// its first choice (19 MiB, 2 passes, 1 lane). The parameters travel with each hash, so stronger ones can be adopted
/// later without invalidating the stored ones.
/// </summary>
public static class PasswordHashing
{
    private const int MemoryKib = 19_456;
    private const int Iterations = 2;
    private const int Lanes = 1;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    /// <summary>The shortest password accepted (NIST SP 800-63B asks for at least 8; we ask for 12).</summary>
    public const int MinimumLength = 12;

    /// <summary>Why a new password is refused, or null.</summary>
    public static string? Weakness(string password) =>
        password.Length < MinimumLength ? $"a password needs at least {MinimumLength} characters" : null;

    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Derive(password, salt, MemoryKib, Iterations, Lanes, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"$argon2id$v=19$m={MemoryKib},t={Iterations},p={Lanes}${Encode(salt)}${Encode(hash)}");
    }

    /// <summary>Whether <paramref name="password"/> is the one <paramref name="encoded"/> was made from; false for a hash it cannot read.</summary>
    public static bool Verify(string password, string encoded)
    {
        var parts = encoded.Split('$');
        if (parts is not ["", "argon2id", "v=19", var parameters, var saltText, var hashText])
        {
            return false;
        }

        var values = parameters.Split(',').Select(p => p.Split('=')).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        if (!Read(values, "m", out var memory) || !Read(values, "t", out var iterations) || !Read(values, "p", out var lanes)
            || memory is < 8 or > 1_048_576 || iterations is < 1 or > 100 || lanes is < 1 or > 16)
        {
            return false;
        }

        byte[] salt, expected;
        try
        {
            (salt, expected) = (Decode(saltText), Decode(hashText));
        }
        catch (FormatException)
        {
            return false;
        }

        if (expected.Length is < 16 or > 64)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Derive(password, salt, memory, iterations, lanes, expected.Length), expected);
    }

    private static bool Read(Dictionary<string, string> values, string key, out int value)
    {
        value = 0;
        return values.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static byte[] Derive(string password, byte[] salt, int memory, int iterations, int lanes, int length)
    {
        using var argon = new Argon2id(Encoding.UTF8.GetBytes(password)) { Salt = salt, MemorySize = memory, Iterations = iterations, DegreeOfParallelism = lanes };
        return argon.GetBytes(length);
    }

    // PHC strings use standard base64 without padding.
    private static string Encode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static byte[] Decode(string text) => Convert.FromBase64String(text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '='));
}
