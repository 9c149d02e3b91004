using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Recovery.Catalog;

namespace Backstop.Recovery.Backups;

/// <summary>
/// Where an installation keeps its backups and their catalog, worked out from <c>backstop.yaml</c> in one place, so that
/// every command and the server find the same files.
/// </summary>
internal static class BackupLocations
{
    /// <summary>The state file the catalog shares with the change records (DESIGN.md, D4).</summary>
    public static string StateFile(BackstopConfig config) => Path.Combine(config.StateDirectory, "state.db");

    /// <summary>The backup catalog where <c>state:</c> says the state is (the state file, or a PostgreSQL database).</summary>
    public static Task<IBackupCatalog> OpenCatalogAsync(BackstopConfig config, EnvironmentConnector connector, CancellationToken cancellationToken) =>
        BackupCatalogs.OpenAsync(Core.State.StateLocation.Of(config, connector.Variables), connector.Notice, cancellationToken);

    /// <summary>
    /// The environment's <c>backup.repository</c>, relative to <c>backstop.yaml</c>'s folder (not the working directory,
    /// so that cron finds the same one), else <c>backups/</c> in the state directory.
    /// </summary>
    public static BackupRepository Repository(BackstopConfig config, EnvironmentConfig environment)
    {
        var root = environment.Backup.Repository is { } configured
            ? Path.GetFullPath(configured, Path.GetDirectoryName(config.Path)!)
            : Path.Combine(config.StateDirectory, "backups");
        return new BackupRepository(root, environment.Name);
    }

    /// <summary>The environment's own database: its recorded identity's, else its URL's.</summary>
    public static string OwnDatabase(EnvironmentConnector connector, EnvironmentConfig environment) =>
        environment.Identity?.Database ?? connector.ResolveUrl(environment).Database;
}
