using Backstop.Recovery.Catalog;

namespace Backstop.Recovery.Backups;

/// <summary>An environment's backup health: its last backup and its last proven restore.</summary>
public sealed record BackupHealth(string Environment, BackupEntry? LastBackup, BackupEntry? LastProvenBackup, DrillEntry? LastPassedDrill, DrillEntry? LastDrill, TimeSpan Limit, DateTimeOffset Now)
{
    public TimeSpan? LastBackupAge => LastBackup is null ? null : Now - LastBackup.StartedAt;

    /// <summary>Age of the data of the last proven backup: what a restore would lose, at most.</summary>
    public TimeSpan? LastProvenAge => LastProvenBackup is null ? null : Now - LastProvenBackup.StartedAt;

    /// <summary>True when there is no proven restore, or it is older than the limit.</summary>
    public bool Stale => LastProvenAge is not { } age || age > Limit;

    /// <param name="database">the environment's own database: backups of other databases (<c>--database</c>) prove nothing about it.</param>
    public static async Task<BackupHealth> ReadAsync(IBackupCatalog catalog, string environment, string database, TimeSpan limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var backups = (await catalog.ListAsync(environment, cancellationToken)).Where(b => b.Kind == "logical" && b.Database == database).ToList();
        var ids = backups.Select(b => b.Id).ToHashSet(StringComparer.Ordinal);
        var drills = (await catalog.ListDrillsAsync(environment, cancellationToken)).Where(d => d.Kind == "logical" && ids.Contains(d.BackupId)).ToList();
        var complete = backups.Where(b => b.Status == BackupStatus.Complete).ToList();
        var byId = complete.ToDictionary(b => b.Id, StringComparer.Ordinal);
        // A backup is proven while its latest drill passed: a later failed drill (a damaged file) takes the proof away.
        var passed = drills.GroupBy(d => d.BackupId).Select(g => g.First()).Where(d => d.Passed && byId.ContainsKey(d.BackupId)).ToList();
        var provenBackup = passed.Select(d => byId[d.BackupId]).OrderByDescending(b => b.StartedAt).FirstOrDefault();
        var provenDrill = provenBackup is null ? null : passed.First(d => d.BackupId == provenBackup.Id);
        return new BackupHealth(environment, complete.FirstOrDefault(), provenBackup, provenDrill, drills.FirstOrDefault(), limit, now);
    }
}
