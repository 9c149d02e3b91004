namespace Backstop.Core.State;

/// <summary>Opens the change record where <see cref="StateLocation"/> says it is, migrated to this Backstop's version.</summary>
public static class StateStores
{
    /// <param name="notice">told when the store was migrated from an earlier version (a line for the user).</param>
    /// <exception cref="Configuration.ConfigException">the store was written by a newer Backstop.</exception>
    /// <exception cref="Environments.ConnectionFailedException">the PostgreSQL state database could not be reached.</exception>
    public static async Task<IStateStore> OpenAsync(StateLocation location, Action<string>? notice, CancellationToken cancellationToken) =>
        location.Url is { } url
            ? new PostgresStateStore(await PostgresStateDatabase.OpenAsync(url, notice, cancellationToken))
            : new SqliteStateStore(await SqliteStateFile.OpenAsync(location.FilePath!, notice, cancellationToken));
}
