using Backstop.Recovery.Catalog;

namespace Backstop.Recovery.Backups;

/// <summary>
/// Removes complete backups beyond <c>keep</c> newest or older than <c>max_age</c>. The newest complete backup and the
/// newest proven one are never removed, whatever the settings say: retention must not leave an environment without
/// a backup, or without its last proof.
/// </summary>
public static class BackupRetention
{
    /// <param name="database">retention counts the backups of one database: those of another (<c>--database</c>) are kept apart.</param>
    public static async Task<IReadOnlyList<BackupEntry>> ApplyAsync(
        IBackupCatalog catalog, string environment, string database, int? keep, TimeSpan? maxAge, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (keep is null && maxAge is null)
        {
            return [];
        }

        var complete = (await catalog.ListAsync(environment, cancellationToken)).Where(b => b.Status == BackupStatus.Complete && b.Kind == "logical" && b.Database == database).ToList();
        var proven = (await catalog.ListDrillsAsync(environment, cancellationToken)).Where(d => d.Kind == "logical")
            .GroupBy(d => d.BackupId).Select(g => g.First()).Where(d => d.Passed).Select(d => d.BackupId).ToHashSet(StringComparer.Ordinal);
        var protectedIds = new HashSet<string>(StringComparer.Ordinal);
        if (complete.Count > 0)
        {
            protectedIds.Add(complete[0].Id);
        }

        if (complete.FirstOrDefault(b => proven.Contains(b.Id)) is { } newestProven)
        {
            protectedIds.Add(newestProven.Id);
        }

        var expired = new List<BackupEntry>();
        for (var i = 0; i < complete.Count; i++)
        {
            var backup = complete[i];
            var beyondCount = keep is { } k && i >= k;
            var tooOld = maxAge is { } age && now - backup.StartedAt > age;
            if ((beyondCount || tooOld) && !protectedIds.Contains(backup.Id))
            {
                if (Directory.Exists(backup.Path))
                {
                    Directory.Delete(backup.Path, recursive: true);
                }

                var entry = backup with { Status = BackupStatus.Expired, Message = beyondCount ? $"removed: more than {keep} backups are kept" : $"removed: older than {maxAge}" };
                await catalog.UpdateAsync(entry, cancellationToken);
                expired.Add(entry);
            }
        }

        return expired;
    }
}
