using Backstop.Core.State;

namespace Backstop.Core.Audit;

/// <summary>Opens the audit log where <see cref="StateLocation"/> says the state is, migrated to this Backstop's version.</summary>
public static class AuditLogs
{
    /// <param name="notice">told when the store was migrated from an earlier version (a line for the user).</param>
    /// <param name="clock">gives each entry and checkpoint its time; the system clock when null.</param>
    /// <exception cref="Configuration.ConfigException">the store was written by a newer Backstop.</exception>
    /// <exception cref="Environments.ConnectionFailedException">the PostgreSQL state database could not be reached.</exception>
    public static async Task<IAuditLog> OpenAsync(StateLocation location, Action<string>? notice, CancellationToken cancellationToken, TimeProvider? clock = null) =>
        location.Url is { } url
            ? new PostgresAuditLog(await PostgresStateDatabase.OpenAsync(url, notice, cancellationToken), clock ?? TimeProvider.System)
            : new SqliteAuditLog(await SqliteStateFile.OpenAsync(location.FilePath!, notice, cancellationToken), clock ?? TimeProvider.System);
}
