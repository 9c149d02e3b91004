using Backstop.Core.Configuration;
using Backstop.Postgres.Catalog;
using Backstop.Postgres.Connections;
using Npgsql;

namespace Backstop.Core.Environments;

/// <summary>Resolves an environment's URL, connects, and checks that it still reaches the recorded target.</summary>
/// <param name="notice">receives what the user should know but that stops nothing (an identity recorded without the database OID).</param>
public sealed class EnvironmentConnector(Func<string, string?> environmentVariables, Action<string>? notice = null)
{
    public const string VariablePrefix = "env:";

    /// <summary>A URL kept in a file (one line), readable only by the account that runs Backstop: <c>file:/etc/backstop/prod.url</c>.</summary>
    public const string FilePrefix = "file:";

    /// <summary>This host's environment variables, as the connector reads them (for <c>env:VAR</c> URLs).</summary>
    public Func<string, string?> Variables => environmentVariables;

    /// <summary>Where what the user should know goes (a line on standard error for the CLI).</summary>
    public Action<string>? Notice => notice;

    /// <exception cref="ConfigException">the URL is invalid or names a variable that is not set.</exception>
    public PgUrl ResolveUrl(EnvironmentConfig environment)
    {
        var text = environment.Url;
        if (text.StartsWith(VariablePrefix, StringComparison.Ordinal))
        {
            var variable = text[VariablePrefix.Length..];
            text = environmentVariables(variable) is { Length: > 0 } value
                ? value
                : throw new ConfigException($"environment '{environment.Name}' reads its URL from the variable {variable}, which is not set; export {variable}=postgresql://…");
        }
        else if (text.StartsWith(FilePrefix, StringComparison.Ordinal))
        {
            text = ReadUrlFile(environment.Name, text[FilePrefix.Length..]);
        }

        try
        {
            return PgUrl.Parse(text);
        }
        catch (FormatException e)
        {
            throw new ConfigException($"the URL of environment '{environment.Name}' is not valid: {e.Message}");
        }
    }

    private static string ReadUrlFile(string environment, string path)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            return text.Length > 0 ? text : throw new ConfigException($"environment '{environment}' reads its URL from {path}, which is empty; write the postgresql:// URL into it");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"environment '{environment}' reads its URL from {path}, which cannot be read ({e.Message}); check the path and that this account may read it");
        }
    }

    /// <summary>Connects without checking the identity (for <c>env add</c> and <c>env verify</c>).</summary>
    public static async Task<(NpgsqlConnection Connection, ServerIdentity Identity)> ConnectAsync(string environmentName, PgUrl url, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(url.ToConnectionString());
        try
        {
            await connection.OpenAsync(cancellationToken);
            await SessionSettings.ApplyAsync(connection, cancellationToken);
            var identity = await ServerIdentity.ReadAsync(connection, url.Host, url.Port, cancellationToken);
            return (connection, identity);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            await connection.DisposeAsync();
            var detail = e is PostgresException pg ? $"{pg.SqlState}: {pg.MessageText}" : e.InnerException?.Message ?? e.Message;
            throw new ConnectionFailedException(
                $"cannot connect to environment '{environmentName}' at {url.Endpoint} (database '{url.Database}', user '{url.User ?? "(default)"}'): {detail}", e);
        }
    }

    /// <exception cref="TargetMismatchException">the URL now reaches another cluster or database.</exception>
    public async Task<ConnectedEnvironment> OpenAsync(EnvironmentConfig environment, CancellationToken cancellationToken)
    {
        var url = ResolveUrl(environment);
        var (connection, identity) = await ConnectAsync(environment.Name, url, cancellationToken);
        if (environment.Identity is null && environment.Tier != Tier.Development)
        {
            await connection.DisposeAsync();
            throw new TargetMismatchException(
                $"environment '{environment.Name}' has no recorded identity, so Backstop cannot tell whether its URL still reaches the right server; nothing was run. " +
                $"Check that {url.Endpoint}/{url.Database} is the intended target, then record it with `backstop env verify {environment.Name} --accept`");
        }

        if (environment.Identity is { } recorded && identity.DifferenceFrom(recorded) is { } difference)
        {
            await connection.DisposeAsync();
            throw new TargetMismatchException(
                $"environment '{environment.Name}' points at a different target than when it was added ({difference}); nothing was run. " +
                $"If the server or database was replaced on purpose, run `backstop env verify {environment.Name} --accept`");
        }

        if (environment.Identity is { } incomplete && identity.Completes(incomplete))
        {
            notice?.Invoke(
                $"the recorded identity of environment '{environment.Name}' has no database OID (an earlier Backstop recorded it), so a database dropped and " +
                $"created again under the name '{identity.Database}' would go unnoticed; run `backstop env verify {environment.Name}` to record it");
        }

        return new ConnectedEnvironment(environment, url, connection, identity) { Notice = notice };
    }
}
