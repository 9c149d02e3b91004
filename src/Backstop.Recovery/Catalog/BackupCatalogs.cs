using Backstop.Core.State;

namespace Backstop.Recovery.Catalog;

/// <summary>Opens the backup catalog where <see cref="StateLocation"/> says the state is, migrated to this Backstop's version.</summary>
public static class BackupCatalogs
{
    /// <param name="notice">told when the store was migrated from an earlier version (a line for the user).</param>
    /// <exception cref="Core.Configuration.ConfigException">the store was written by a newer Backstop.</exception>
    /// <exception cref="Core.Environments.ConnectionFailedException">the PostgreSQL state database could not be reached.</exception>
    public static async Task<IBackupCatalog> OpenAsync(StateLocation location, Action<string>? notice, CancellationToken cancellationToken) =>
        location.Url is { } url
            ? new PostgresBackupCatalog(await PostgresStateDatabase.OpenAsync(url, notice, cancellationToken))
            : new SqliteBackupCatalog(await SqliteStateFile.OpenAsync(location.FilePath!, notice, cancellationToken));
}
