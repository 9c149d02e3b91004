using System.Security.Cryptography;
using System.Text;

namespace Backstop.Core.Team;

/// <summary>
/// Sign-in tokens: 32 random bytes, base64url, behind a <c>bst_</c> prefix that secret scanners can match. The server
/// keeps only each token's SHA-256 (a token is random, so no slow hash is needed to make a stolen table useless).
/// </summary>
public static class AccessTokens
{
    public const string Prefix = "bst_";

    public static string New() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string HashOf(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public static bool LooksLikeToken(string text) => text.StartsWith(Prefix, StringComparison.Ordinal) && text.Length == Prefix.Length + 43;

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
