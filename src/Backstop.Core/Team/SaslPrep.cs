using System.Text;

namespace Backstop.Core.Team;

/// <summary>
/// The password normalization of SCRAM ("Normalize(str)": SASLprep, RFC 4013), as far as a verifier must agree with what
/// libpq computes (src/common/saslprep.c). ASCII passwords pass unchanged, which is every password libpq would also leave
/// alone. For others: non-ASCII spaces (RFC 3454 C.1.2) become U+0020, characters "commonly mapped to nothing" (B.1) are
/// dropped, and the result is NFKC. Left out: the prohibited-output and bidirectional checks, after which libpq falls
/// back to the raw password; a password with control or private-use characters may therefore not match.
/// </summary>
public static class SaslPrep
{
    public static string Normalize(string password)
    {
        if (password.All(char.IsAscii))
        {
            return password;
        }

        var mapped = new StringBuilder(password.Length);
        foreach (var c in password)
        {
            if (IsMappedToNothing(c))
            {
                continue;
            }

            mapped.Append(IsNonAsciiSpace(c) ? ' ' : c);
        }

        return mapped.ToString().Normalize(NormalizationForm.FormKC);
    }

    private static bool IsMappedToNothing(char c) =>
        c is '\u00AD' or '\u034F' or '\u1806' or (>= '\u180B' and <= '\u180D') or (>= '\u200B' and <= '\u200D')
            or '\u2060' or (>= '\uFE00' and <= '\uFE0F') or '\uFEFF';

    private static bool IsNonAsciiSpace(char c) =>
        c is '\u00A0' or '\u1680' or (>= '\u2000' and <= '\u200B') or '\u202F' or '\u205F' or '\u3000';
}
