using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace Backstop.Core.Audit;

/// <summary>
/// A signed tree head: the RFC 6962 root of the first <see cref="TreeSize"/> entries, signed with ECDSA P-256 over
/// SHA-256 (<see cref="AuditSigningKey"/>). The signature covers <see cref="SignedText"/> and is kept in DER form
/// (RFC 3279), the form <c>openssl dgst -sha256 -verify</c> reads.
/// </summary>
public sealed record AuditCheckpoint
{
    public required long TreeSize { get; init; }

    /// <summary>The root hash, lower-case hex.</summary>
    public required string RootHash { get; init; }

    /// <summary>In UTC, to the microsecond; in JSON and in the signed text as <c>yyyy-MM-ddTHH:mm:ss.ffffffZ</c>.</summary>
    [JsonConverter(typeof(AuditTimeJsonConverter))]
    public required DateTimeOffset At { get; init; }

    /// <summary>The DER-encoded ECDSA signature of <see cref="SignedText"/>, in base64.</summary>
    public required string Signature { get; init; }

    /// <summary>The first 16 hex digits of the SHA-256 of the signing key's SubjectPublicKeyInfo (<see cref="AuditSigningKey.KeyIdOf"/>).</summary>
    public required string KeyId { get; init; }

    /// <summary>
    /// What is signed, in UTF-8: <c>backstop-audit-checkpoint v1</c>, the size, the root in hex and the time as its JSON
    /// has it, a line each, without a final newline.
    /// </summary>
    public static string SignedText(long treeSize, string rootHash, DateTimeOffset at) =>
        string.Create(CultureInfo.InvariantCulture, $"backstop-audit-checkpoint v1\n{treeSize}\n{rootHash}\n{AuditTimeJsonConverter.Text(at)}");

    public string SignedText() => SignedText(TreeSize, RootHash, At);

    /// <summary>Whether <see cref="Signature"/> is a valid signature of this checkpoint by <paramref name="publicKey"/>.</summary>
    public bool IsSignedBy(ECDsa publicKey)
    {
        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(Signature);
        }
        catch (FormatException)
        {
            return false;
        }

        return publicKey.VerifyData(Encoding.UTF8.GetBytes(SignedText()), signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }
}
