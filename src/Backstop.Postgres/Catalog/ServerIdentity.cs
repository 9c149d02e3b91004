using Npgsql;

namespace Backstop.Postgres.Catalog;

/// <summary>
/// Which database a URL reaches: the cluster's system identifier (set by initdb, unique per cluster;
/// docs: "System Information Functions → pg_control_system"), the database name, host and port.
/// A different cluster behind the same host name shows up as a different system identifier.
/// </summary>
public sealed record ServerIdentity(string SystemIdentifier, string Database, string Host, int Port)
{
    public static async Task<ServerIdentity> ReadAsync(NpgsqlConnection connection, string host, int port, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT system_identifier::text, current_database() FROM pg_control_system()", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ServerIdentity(reader.GetString(0), reader.GetString(1), host, port);
    }

    /// <summary>What differs from <paramref name="recorded"/>, in words; null when it is the same target.</summary>
    public string? DifferenceFrom(ServerIdentity recorded)
    {
        var differences = new List<string>();
        if (!string.Equals(SystemIdentifier, recorded.SystemIdentifier, StringComparison.Ordinal))
        {
            differences.Add($"system identifier {SystemIdentifier}, expected {recorded.SystemIdentifier}");
        }

        if (!string.Equals(Database, recorded.Database, StringComparison.Ordinal))
        {
            differences.Add($"database '{Database}', expected '{recorded.Database}'");
        }

        if (!string.Equals(Host, recorded.Host, StringComparison.OrdinalIgnoreCase) || Port != recorded.Port)
        {
            differences.Add($"server {Host}:{Port}, expected {recorded.Host}:{recorded.Port}");
        }

        return differences.Count == 0 ? null : string.Join("; ", differences);
    }
}
