using Backstop.Recovery.Catalog;

namespace Backstop.Recovery.Backups;

/// <summary>An environment's backup health: its last backup and its last proven restore.</summary>
/// <param name="Damaged">
/// backups newer than <paramref name="LastProvenBackup"/> whose latest drill passed but whose files no longer match their
/// manifest, newest first: not proven any more, and what a restore would have been taken from.
/// </param>
public sealed record BackupHealth(
    string Environment, BackupEntry? LastBackup, BackupEntry? LastProvenBackup, DrillEntry? LastPassedDrill, DrillEntry? LastDrill, IReadOnlyList<DamagedBackup> Damaged, TimeSpan Limit, DateTimeOffset Now)
{
    public TimeSpan? LastBackupAge => LastBackup is null ? null : Now - LastBackup.StartedAt;

    /// <summary>Age of the data of the last proven backup: what a restore would lose, at most.</summary>
    public TimeSpan? LastProvenAge => LastProvenBackup is null ? null : Now - LastProvenBackup.StartedAt;

    /// <summary>True when there is no proven restore, or it is older than the limit.</summary>
    public bool Stale => LastProvenAge is not { } age || age > Limit;

    /// <summary>Neither stale nor with a newer drilled backup found damaged: what <c>status --strict</c> exits 0 for.</summary>
    public bool Ok => !Stale && Damaged.Count == 0;

    /// <param name="database">the environment's own database: backups of other databases (<c>--database</c>) prove nothing about it.</param>
    public static async Task<BackupHealth> ReadAsync(IBackupCatalog catalog, string environment, string database, TimeSpan limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var backups = (await catalog.ListAsync(environment, cancellationToken)).Where(b => b.Kind == "logical" && b.Database == database).ToList();
        var ids = backups.Select(b => b.Id).ToHashSet(StringComparer.Ordinal);
        var drills = (await catalog.ListDrillsAsync(environment, cancellationToken)).Where(d => d.Kind == "logical" && ids.Contains(d.BackupId)).ToList();
        var complete = backups.Where(b => b.Status == BackupStatus.Complete).ToList();
        var byId = complete.ToDictionary(b => b.Id, StringComparer.Ordinal);
        // A backup is proven while its latest drill passed: a later failed drill (a damaged file) takes the proof away.
        var passed = drills.GroupBy(d => d.BackupId).Select(g => g.First()).Where(d => d.Passed && byId.ContainsKey(d.BackupId))
            .OrderByDescending(d => byId[d.BackupId].StartedAt)
            .ToList();

        // ... and so do its files changing after the drill, which only the next drill would notice: the backup called
        // proven has its files checked against its manifest now (sizes and SHA-256, no restore), and a damaged one gives
        // way to the next older one that is intact.
        var damaged = new List<DamagedBackup>();
        foreach (var drill in passed)
        {
            var backup = byId[drill.BackupId];
            var (_, failures) = await ManifestCheck.CheckBackupAsync(backup.Path, cancellationToken);
            if (failures.Count == 0)
            {
                return new BackupHealth(environment, complete.FirstOrDefault(), backup, drill, drills.FirstOrDefault(), damaged, limit, now);
            }

            damaged.Add(new DamagedBackup(backup, drill, failures));
        }

        return new BackupHealth(environment, complete.FirstOrDefault(), null, null, drills.FirstOrDefault(), damaged, limit, now);
    }
}
