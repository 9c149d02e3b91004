using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Backstop.Recovery.Drills;

namespace Backstop.Recovery.Backups;

/// <summary>A file of a backup, as the manifest records it.</summary>
public sealed record ManifestFile(string Path, long Size, string Sha256);

/// <summary>
/// <c>manifest.json</c>, the last file written into a backup: what was backed up, from where, with which programs, the
/// SHA-256 of every other file, and the fingerprint of the data taken in the dump's own snapshot.
/// </summary>
public sealed record BackupManifest
{
    public const string FileName = "manifest.json";

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>1: the first layout; 2: fingerprints in <see cref="Drills.Fingerprinter.CurrentFormat"/> 2, and the database's encoding.</summary>
    public int Format { get; init; } = 2;

    /// <summary>The database's encoding (null in format 1): a drill creates its database with it.</summary>
    public string? Encoding { get; init; }

    public required string Id { get; init; }

    public required string Environment { get; init; }

    public required string Database { get; init; }

    public required string SystemIdentifier { get; init; }

    public required string ServerVersion { get; init; }

    public required string PgDumpVersion { get; init; }

    /// <summary>When the snapshot was taken: the data is as of this moment.</summary>
    public required DateTimeOffset SnapshotTime { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset FinishedAt { get; init; }

    public required int Jobs { get; init; }

    public required int Compression { get; init; }

    /// <summary>Whether roles.sql (the cluster's roles, without passwords) is part of the backup.</summary>
    public required bool RolesIncluded { get; init; }

    public required IReadOnlyList<ManifestFile> Files { get; init; }

    public required DatabaseFingerprint Fingerprint { get; init; }

    [JsonIgnore]
    public long TotalBytes => Files.Sum(f => f.Size);

    public static BackupManifest Read(string backupDirectory)
    {
        var path = System.IO.Path.Combine(backupDirectory, FileName);
        if (!File.Exists(path))
        {
            throw new BackupException($"the backup at {backupDirectory} has no {FileName}: it was never completed, or the file was removed");
        }

        try
        {
            return JsonSerializer.Deserialize<BackupManifest>(File.ReadAllText(path), JsonOptions)
                ?? throw new BackupException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new BackupException($"{path} is damaged and cannot be read ({e.Message}); the backup cannot be trusted");
        }
    }

    /// <summary>Writes the manifest and flushes it to disk.</summary>
    public void Write(string backupDirectory)
    {
        var path = System.IO.Path.Combine(backupDirectory, FileName);
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        JsonSerializer.Serialize(stream, this, JsonOptions);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Lists and hashes every file under <paramref name="directory"/> (paths relative to it, '/'-separated, sorted).</summary>
    public static async Task<IReadOnlyList<ManifestFile>> HashFilesAsync(string directory, CancellationToken cancellationToken)
    {
        var files = new List<ManifestFile>();
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = System.IO.Path.GetRelativePath(directory, file).Replace('\\', '/');
            if (relative == FileName)
            {
                continue;
            }

            files.Add(new ManifestFile(relative, new FileInfo(file).Length, await Sha256Async(file, cancellationToken)));
        }

        return files;
    }

    public static async Task<string> Sha256Async(string file, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }
}
