using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Postgres;
using Backstop.Postgres.Connections;
using Npgsql;

namespace Backstop.Core.State;

/// <summary>
/// The state in a PostgreSQL database (<c>state: postgresql://…</c>), in the schema <see cref="StateSchema.PostgresSchema"/>,
/// shared by the change record and the backup catalog, and by every Backstop process of a team, on any machine. Each
/// operation takes a connection of its own and is one statement or one transaction, so processes need no coordination
/// beyond what PostgreSQL gives: identity columns number rows uniquely, row locks order concurrent updates.
/// </summary>
public sealed class PostgresStateDatabase
{
    private readonly string _connectionString;

    private PostgresStateDatabase(PgUrl url)
    {
        Url = url;
        _connectionString = url.ToConnectionString("backstop state");
    }

    /// <summary>Where it is; its <see cref="PgUrl.ToString"/> masks the password.</summary>
    public PgUrl Url { get; }

    /// <param name="notice">told when a database of an earlier version was migrated (a line for the user).</param>
    /// <exception cref="ConfigException">the database was migrated by a newer Backstop, or the role may not create the schema.</exception>
    /// <exception cref="ConnectionFailedException">the server could not be reached.</exception>
    public static async Task<PostgresStateDatabase> OpenAsync(PgUrl url, Action<string>? notice, CancellationToken cancellationToken)
    {
        var database = new PostgresStateDatabase(url);
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        try
        {
            var (from, to) = await StateSchema.EnsureAsync(connection, url.ToString(), cancellationToken);
            if (from > 0 && from != to)
            {
                notice?.Invoke($"migrated the state database {url} from version {from} to {to}");
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            await using var who = new NpgsqlCommand("SELECT current_user", connection);
            var role = (string)(await who.ExecuteScalarAsync(cancellationToken))!;
            throw new ConfigException(
                $"the state database {url} could not be set up: role {role} may not create the schema {StateSchema.PostgresSchema} ({e.MessageText}); nothing was recorded. " +
                $"Have the database owner run: GRANT CREATE ON DATABASE {PgIdentifier.Quote(url.Database)} TO {PgIdentifier.Quote(role)};");
        }

        return database;
    }

    /// <summary>Reads on a connection of its own, outside a transaction.</summary>
    public async Task<T> ReadAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await work(connection, cancellationToken);
    }

    /// <summary>Works in one transaction (READ COMMITTED) on a connection of its own; it commits if the work returns.</summary>
    public async Task<T> WriteAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var result = await work(connection, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    /// <summary>A connection of its own; for a reader that streams past the end of one call.</summary>
    internal async Task<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            await connection.DisposeAsync();
            var detail = e is PostgresException pg ? $"{pg.SqlState}: {pg.MessageText}" : e.InnerException?.Message ?? e.Message;
            throw new ConnectionFailedException(
                $"cannot connect to the state database at {Url.Endpoint} (database '{Url.Database}', user '{Url.User ?? "(default)"}'): {detail}; check state: in backstop.yaml", e);
        }
    }
}
