using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Backstop.Core.Snapshots;

namespace Backstop.Recovery.Snapshots;

/// <summary>The masking secret of <see cref="SnapshotSettings.KeyReference"/>, and the fingerprint of the rules (which never includes it).</summary>
public static class SnapshotKey
{
    /// <summary>The key where <c>snapshot.key</c> points (one reader for create and the maskers: <see cref="Core.Snapshots.Masking.SnapshotKey"/>).</summary>
    /// <exception cref="Core.Configuration.ConfigException">no key configured, its variable or file missing, or shorter than 32 bytes.</exception>
    public static byte[] Resolve(SnapshotSettings settings, string environment, Func<string, string?> variables) =>
        Core.Snapshots.Masking.SnapshotKey.Read(environment, settings.KeyReference, variables);

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
