using Backstop.Core.Configuration;
using Backstop.Postgres.Catalog;
using Backstop.Postgres.Connections;
using Npgsql;

namespace Backstop.Core.Environments;

/// <summary>An open connection to an environment whose identity has been checked.</summary>
public sealed class ConnectedEnvironment(EnvironmentConfig environment, PgUrl url, NpgsqlConnection connection, ServerIdentity identity) : IAsyncDisposable
{
    public EnvironmentConfig Environment { get; } = environment;

    public PgUrl Url { get; } = url;

    public NpgsqlConnection Connection { get; } = connection;

    public ServerIdentity Identity { get; } = identity;

    /// <summary>Receives what the user should know but that stops nothing (a schema migrated on the way); null to drop it.</summary>
    public Action<string>? Notice { get; init; }

    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}
