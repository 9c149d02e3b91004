using Backstop.Core.Changes;
using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Postgres.Catalog;

namespace Backstop.Recovery.Backups;

/// <summary>
/// The lifecycle's backup proof (<see cref="IBackupProof"/>) from the backup catalog: per database of a server, its
/// newest backup whose latest restore drill passed, among the backups of the environments that reach that server.
/// </summary>
public sealed class CatalogBackupProof(BackstopConfig config, EnvironmentConnector connector) : IBackupProof
{
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> ProvenBackupsAsync(ServerIdentity identity, CancellationToken cancellationToken)
    {
        var sameServer = config.Environments
            .Where(e => e.Identity is { } known && known.SystemIdentifier == identity.SystemIdentifier && known.Host == identity.Host && known.Port == identity.Port)
            .Select(e => e.Name)
            .ToHashSet(StringComparer.Ordinal);
        return await BackupProofs.ForServerAsync(await BackupLocations.OpenCatalogAsync(config, connector, cancellationToken), identity.SystemIdentifier, sameServer, cancellationToken);
    }
}
