using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Postgres.Catalog;
using Backstop.Postgres.Connections;

namespace Backstop.Recovery.Pitr;

/// <summary>
/// An environment's database that Backstop created again (after a DROP DATABASE) has a new OID, which the identity
/// check takes for a database dropped and created by someone else. Backstop knows why it changed: it records the new
/// OID, after checking that nothing else about the target differs.
/// </summary>
public static class RecreatedDatabase
{
    /// <summary>The identity recorded now; null when the environment had none to update or its OID is unchanged.</summary>
    /// <exception cref="PitrException">the URL reaches a different server or database than the recorded one.</exception>
    public static async Task<ServerIdentity?> RecordOidAsync(BackstopConfig config, EnvironmentConfig environment, PgUrl url, CancellationToken cancellationToken)
    {
        if (environment.Identity is not { } recorded)
        {
            return null;
        }

        var (connection, identity) = await EnvironmentConnector.ConnectAsync(environment.Name, url, cancellationToken);
        await connection.DisposeAsync();
        if (identity.DifferenceFrom(recorded with { DatabaseOid = null }) is { } difference)
        {
            throw new PitrException($"environment '{environment.Name}' reaches a different target than recorded ({difference}); its identity was not changed");
        }

        if (identity.DatabaseOid == recorded.DatabaseOid)
        {
            return null;
        }

        ConfigFileEditor.SetIdentity(config.Path, environment.Name, identity);
        return identity;
    }
}
