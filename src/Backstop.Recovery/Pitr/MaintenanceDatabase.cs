using Backstop.Core.Configuration;
using Backstop.Core.Environments;

namespace Backstop.Recovery.Pitr;

/// <summary>
/// A connection to another database of an environment's server (<c>postgres</c>), for work on the server when the
/// environment's own database is gone. The same wrong-server check as every command: the cluster's system identifier
/// and the endpoint must be the recorded ones; the database is of course another.
/// </summary>
public static class MaintenanceDatabase
{
    public const string DefaultName = "postgres";

    /// <exception cref="TargetMismatchException">the URL now reaches another cluster, or the environment has no recorded identity outside development.</exception>
    public static async Task<ConnectedEnvironment> OpenAsync(EnvironmentConnector connector, EnvironmentConfig environment, string database, CancellationToken cancellationToken)
    {
        var url = connector.ResolveUrl(environment).WithDatabase(database);
        var (connection, identity) = await EnvironmentConnector.ConnectAsync(environment.Name, url, cancellationToken);
        var recorded = environment.Identity;
        string? difference = recorded is null
            ? environment.Tier == Tier.Development ? null : "it has no recorded identity"
            : identity.DifferenceFrom(recorded with { Database = identity.Database, DatabaseOid = null });
        if (difference is not null)
        {
            await connection.DisposeAsync();
            throw new TargetMismatchException(
                $"environment '{environment.Name}' points at a different server than when it was added ({difference}); nothing was run. " +
                $"If the server was replaced on purpose, run `backstop env verify {environment.Name} --accept`");
        }

        return new ConnectedEnvironment(environment, url, connection, identity) { Notice = connector.Notice };
    }
}
