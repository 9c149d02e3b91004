using Backstop.Recovery.Catalog;

namespace Backstop.Recovery.Backups;

/// <summary>Which databases of a server have a proven backup, and from when: what the DROP DATABASE policy asks for (see <see cref="CatalogBackupProof"/>).</summary>
public static class BackupProofs
{
    /// <summary>Per database of the server <paramref name="systemIdentifier"/>: when its newest backup whose latest drill passed was taken.</summary>
    /// <param name="environments">
    /// the environments that reach the same server (same system identifier, host and port): a physical clone of it
    /// (a PITR clone, a restored base backup) has the same system identifier, and its backups prove nothing about this one.
    /// </param>
    public static async Task<IReadOnlyDictionary<string, DateTimeOffset>> ForServerAsync(
        IBackupCatalog catalog, string systemIdentifier, IReadOnlySet<string> environments, CancellationToken cancellationToken)
    {
        var backups = (await catalog.ListAsync(null, cancellationToken))
            .Where(b => b.Kind == "logical" && b.Status == BackupStatus.Complete && b.SystemIdentifier == systemIdentifier && environments.Contains(b.Environment))
            .ToDictionary(b => (b.Environment, b.Id));
        var result = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var drill in (await catalog.ListDrillsAsync(null, cancellationToken)).Where(d => d.Kind == "logical").GroupBy(d => (d.Environment, d.BackupId)).Select(g => g.First()))
        {
            if (drill.Passed && backups.TryGetValue((drill.Environment, drill.BackupId), out var backup)
                && (!result.TryGetValue(backup.Database, out var known) || backup.StartedAt > known))
            {
                result[backup.Database] = backup.StartedAt;
            }
        }

        return result;
    }
}
