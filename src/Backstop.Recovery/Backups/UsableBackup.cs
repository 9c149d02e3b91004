using Backstop.Recovery.Catalog;

namespace Backstop.Recovery.Backups;

/// <summary>The logical backup a verify, restore or repair asked for, if the catalog says it can be used.</summary>
internal static class UsableBackup
{
    /// <param name="id">the backup asked for; null: the latest complete one.</param>
    /// <param name="database">without an id: the latest backup of this database (null: of any).</param>
    /// <exception cref="BackupException">(a usage error) no such backup, or it is not complete.</exception>
    public static async Task<BackupEntry> FindAsync(IBackupCatalog catalog, string environment, string? id, string? database, CancellationToken cancellationToken)
    {
        var backups = (await catalog.ListAsync(environment, cancellationToken)).Where(b => b.Kind == "logical").ToList();
        if (id is null)
        {
            var of = database is null ? "" : $" of database {database}";
            return backups.FirstOrDefault(b => b.Status == BackupStatus.Complete && (database is null || b.Database == database))
                ?? throw Usage($"{environment} has no complete backup{of}; take one with `backstop backup run -e {environment}{(database is null ? "" : $" --database {database}")}`");
        }

        var backup = backups.FirstOrDefault(b => b.Id == id)
            ?? throw Usage($"{environment} has no backup '{id}'; `backstop backup list -e {environment}` shows them");
        return backup.Status == BackupStatus.Complete
            ? backup
            : throw Usage($"backup {id} of {environment} is {backup.Status.ToString().ToLowerInvariant()}, not complete, so it cannot be used{(backup.Message is { } m ? $" ({m})" : "")}");
    }

    /// <summary>
    /// Checks every file of the backup against its manifest: a damaged backup is refused before anything is restored
    /// from it. <paramref name="use"/> says what it would have been (<c>restored</c>, <c>used</c>), for the message.
    /// </summary>
    /// <param name="shown">how many damaged files the message names.</param>
    public static async Task CheckFilesAsync(BackupEntry backup, BackupManifest manifest, string use, int shown, CancellationToken cancellationToken)
    {
        var damaged = await ManifestCheck.CheckAsync(backup.Path, manifest, cancellationToken);
        if (damaged.Count > 0)
        {
            throw new BackupException($"backup {backup.Id} does not match its manifest, so it is not {use}: {string.Join("; ", damaged.Take(shown))}");
        }
    }

    /// <summary>
    /// A backup whose latest drill failed is not restored or used unless <paramref name="force"/>: the drill found it
    /// cannot be trusted. A backup never drilled is not refused by this (it is simply not proven).
    /// </summary>
    /// <returns>the latest drill when it failed and <paramref name="force"/> goes past it; null when it passed or there is none.</returns>
    /// <exception cref="BackupException">(a usage error) its latest drill failed and <paramref name="force"/> is false.</exception>
    public static async Task<DrillEntry?> CheckLatestDrillAsync(IBackupCatalog catalog, BackupEntry backup, bool force, CancellationToken cancellationToken)
    {
        var latest = await LatestDrillAsync(catalog, backup, cancellationToken);
        if (latest is null or { Passed: true })
        {
            return null;
        }

        if (force)
        {
            return latest;
        }

        var at = latest.FinishedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        throw Usage(
            $"backup {backup.Id} of {backup.Environment} failed its latest restore drill ({at}): {latest.Failure}; nothing was restored. " +
            $"Use --force to restore it anyway, or choose another backup (`backstop backup list -e {backup.Environment}` shows each one's last drill)");
    }

    /// <summary>The backup's latest restore drill, or null when it was never drilled.</summary>
    public static async Task<DrillEntry?> LatestDrillAsync(IBackupCatalog catalog, BackupEntry backup, CancellationToken cancellationToken) =>
        (await catalog.ListDrillsAsync(backup.Environment, cancellationToken)).FirstOrDefault(d => d.Kind == "logical" && d.BackupId == backup.Id);

    private static BackupException Usage(string message) => new(message) { IsUsageError = true };
}
