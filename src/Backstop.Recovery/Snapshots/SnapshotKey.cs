using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Backstop.Core.Snapshots;

namespace Backstop.Recovery.Snapshots;

/// <summary>The masking secret of <see cref="SnapshotSettings.KeyReference"/>, and the fingerprint of the rules (which never includes it).</summary>
public static class SnapshotKey
{
    /// <exception cref="SnapshotException">no key configured, or the variable or file it names is missing or empty.</exception>
    public static byte[] Resolve(SnapshotSettings settings, string environment, Func<string, string?> variables)
    {
        var reference = settings.KeyReference
            ?? throw new SnapshotException($"environment '{environment}' has no snapshot key; set snapshot.key to env:VARIABLE or file:PATH holding a long random secret") { IsUsageError = true };
        string? secret;
        if (reference.StartsWith("env:", StringComparison.Ordinal))
        {
            secret = variables(reference[4..]);
        }
        else if (reference.StartsWith("file:", StringComparison.Ordinal))
        {
            try
            {
                secret = File.ReadAllText(reference[5..]).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new SnapshotException($"the snapshot key of environment '{environment}' is read from {reference[5..]}, which cannot be read ({e.Message})") { IsUsageError = true };
            }
        }
        else
        {
            throw new SnapshotException($"snapshot.key of environment '{environment}' must be env:VARIABLE or file:PATH, never the secret itself") { IsUsageError = true };
        }

        return secret is { Length: > 0 }
            ? Encoding.UTF8.GetBytes(secret)
            : throw new SnapshotException($"the snapshot key of environment '{environment}' ({reference}) is empty or not set") { IsUsageError = true };
    }

    /// <summary>SHA-256 over the rules in a canonical order: tables, columns, kinds, arguments, where:, locale. Not the key, nor its reference.</summary>
    public static string Fingerprint(SnapshotSettings settings)
    {
        var canonical = new
        {
            locale = settings.Locale,
            tables = settings.Tables.OrderBy(t => t.Schema, StringComparer.Ordinal).ThenBy(t => t.Table, StringComparer.Ordinal).Select(t => new
            {
                t.Schema, t.Table, t.Exclude, t.Where,
                columns = t.Columns.OrderBy(c => c.Column, StringComparer.Ordinal).Select(c => new { c.Column, kind = c.Kind.ToString(), c.Argument }),
            }),
        };
        return Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(canonical)));
    }
}
