using Backstop.Recovery.Drills;

namespace Backstop.Recovery.Backups;

/// <summary>Checks a backup's files against its manifest: every file present, of its size, with its SHA-256, and nothing else.</summary>
public static partial class ManifestCheck
{
    /// <summary>
    /// Reads the backup's manifest and checks its files: what a drill does first, and what <c>backup status</c> does
    /// again for the backup it calls proven. A missing directory or an unreadable manifest is a failure too.
    /// </summary>
    /// <returns>the manifest (null when it could not be read) and every failure found.</returns>
    public static async Task<(BackupManifest? Manifest, IReadOnlyList<DrillFailure> Failures)> CheckBackupAsync(string backupDirectory, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(backupDirectory))
        {
            return (null, [new("manifest", backupDirectory, "the backup's directory is missing")]);
        }

        BackupManifest manifest;
        try
        {
            manifest = BackupManifest.Read(backupDirectory);
        }
        catch (BackupException e)
        {
            return (null, [new("manifest", BackupManifest.FileName, e.Message)]);
        }

        return (manifest, await CheckAsync(backupDirectory, manifest, cancellationToken));
    }

    public static async Task<IReadOnlyList<DrillFailure>> CheckAsync(string backupDirectory, BackupManifest manifest, CancellationToken cancellationToken)
    {
        var failures = new List<DrillFailure>();
        foreach (var file in manifest.Files)
        {
            var path = Path.Combine(backupDirectory, file.Path);
            if (!File.Exists(path))
            {
                failures.Add(new("manifest", file.Path, "the file is missing"));
                continue;
            }

            var size = new FileInfo(path).Length;
            if (size != file.Size)
            {
                failures.Add(new("manifest", file.Path, $"the file has {size} bytes, the manifest says {file.Size}"));
                continue;
            }

            if (!string.Equals(await BackupManifest.Sha256Async(path, cancellationToken), file.Sha256, StringComparison.Ordinal))
            {
                failures.Add(new("manifest", file.Path, "the file's SHA-256 differs from the manifest: it was changed or damaged after the backup"));
            }
        }

        var listed = manifest.Files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(backupDirectory, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(backupDirectory, file).Replace('\\', '/');
            if (relative != BackupManifest.FileName && !listed.Contains(relative))
            {
                failures.Add(new("manifest", relative, "the file is not in the manifest"));
            }
        }

        return await NameTablesAsync(backupDirectory, failures, cancellationToken);
    }

    /// <summary>Adds the table a damaged data file holds to its name (<c>dump/3361.dat.gz (data of sales.orders)</c>), from the dump's table of contents.</summary>
    private static async Task<IReadOnlyList<DrillFailure>> NameTablesAsync(string backupDirectory, List<DrillFailure> failures, CancellationToken cancellationToken)
    {
        if (failures.Count == 0 || !failures.Any(f => DataFile().IsMatch(f.Object)))
        {
            return failures;
        }

        Backstop.Postgres.Tools.ToolResult toc;
        try
        {
            toc = await Backstop.Postgres.Tools.ClientTool.RunAsync("pg_restore", ["--list", Path.Combine(backupDirectory, "dump")], null, cancellationToken: cancellationToken);
        }
        catch (Backstop.Postgres.Sandbox.SandboxException)
        {
            // No pg_restore on this machine (backup status may run where PostgreSQL is not installed): the file's name will do.
            return failures;
        }

        if (!toc.Succeeded)
        {
            return failures;
        }

        // Lines look like: 3361; 0 16399 TABLE DATA sales orders postgres
        var tables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in toc.Output.Split('\n'))
        {
            var match = TocLine().Match(line);
            if (match.Success)
            {
                tables[match.Groups[1].Value] = $"{match.Groups[2].Value}.{match.Groups[3].Value}";
            }
        }

        return failures.Select(f => DataFile().Match(f.Object) is { Success: true } m && tables.TryGetValue(m.Groups[1].Value, out var table)
            ? f with { Object = $"{f.Object} (data of table {table})" }
            : f).ToList();
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^dump/(\d+)\.dat(\.gz)?$")]
    private static partial System.Text.RegularExpressions.Regex DataFile();

    [System.Text.RegularExpressions.GeneratedRegex(@"^(\d+); \d+ \d+ TABLE DATA (\S+) (\S+) ")]
    private static partial System.Text.RegularExpressions.Regex TocLine();
}
