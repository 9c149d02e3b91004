using Backstop.Core.Changes;
using Backstop.Core.Configuration;
using Backstop.Postgres.Catalog;
using Backstop.Recovery.Catalog;
using Backstop.Sql.Classification;

namespace Backstop.Recovery.Backups;

/// <summary>Which databases of a server have a proven backup, and from when: what the DROP DATABASE policy asks for.</summary>
public static class BackupProofs
{
    /// <summary>
    /// For a script with DROP DATABASE: per database of the target's server, when its newest proven backup was taken.
    /// Any other script needs no proof, and the catalog is not read for it.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, DateTimeOffset>> ForScriptAsync(
        BackstopConfig config, ServerIdentity identity, IReadOnlyList<AnalyzedStatement> statements, CancellationToken cancellationToken)
    {
        if (!statements.Any(s => s.Info.Kind == StatementKind.DropDatabase))
        {
            return new Dictionary<string, DateTimeOffset>();
        }

        var sameServer = config.Environments
            .Where(e => e.Identity is { } known && known.SystemIdentifier == identity.SystemIdentifier && known.Host == identity.Host && known.Port == identity.Port)
            .Select(e => e.Name)
            .ToHashSet(StringComparer.Ordinal);
        return await ForServerAsync(await BackupLocations.OpenCatalogAsync(config, cancellationToken), identity.SystemIdentifier, sameServer, cancellationToken);
    }

    /// <summary>Per database of the server <paramref name="systemIdentifier"/>: when its newest backup whose latest drill passed was taken.</summary>
    /// <param name="environments">
    /// the environments that reach the same server (same system identifier, host and port): a physical clone of it
    /// (a PITR clone, a restored base backup) has the same system identifier, and its backups prove nothing about this one.
    /// </param>
    public static async Task<IReadOnlyDictionary<string, DateTimeOffset>> ForServerAsync(
        BackupCatalog catalog, string systemIdentifier, IReadOnlySet<string> environments, CancellationToken cancellationToken)
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
