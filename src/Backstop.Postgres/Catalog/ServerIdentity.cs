using Npgsql;

namespace Backstop.Postgres.Catalog;

/// <summary>
/// Which database a URL reaches: the cluster's system identifier (set by initdb, unique per cluster;
/// docs: "System Information Functions → pg_control_system"), the database name, host, port, and the
/// database's OID (<c>pg_database.oid</c>, assigned by CREATE DATABASE and never reused while the database exists).
/// A different cluster behind the same host name shows up as a different system identifier; a database dropped
/// and created again under the same name (or restored from a dump) shows up as a different OID.
/// </summary>
/// <param name="DatabaseOid">null in identities recorded before Backstop recorded it.</param>
public sealed record ServerIdentity(string SystemIdentifier, string Database, string Host, int Port, uint? DatabaseOid = null)
{
    public static async Task<ServerIdentity> ReadAsync(NpgsqlConnection connection, string host, int port, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT system_identifier::text, current_database(), (SELECT oid FROM pg_database WHERE datname = current_database()) FROM pg_control_system()", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ServerIdentity(reader.GetString(0), reader.GetString(1), host, port, reader.GetFieldValue<uint>(2));
    }

    /// <summary>
    /// What differs from <paramref name="recorded"/>, in words; null when it is the same target. A recorded identity
    /// without a database OID is compared on the rest (see <see cref="Completes"/>).
    /// </summary>
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
        else if (DatabaseOid is { } oid && recorded.DatabaseOid is { } expected && oid != expected)
        {
            differences.Add($"database OID {oid}, expected {expected}: database '{Database}' was dropped and created again under the same name, or restored from a dump");
        }

        if (!string.Equals(Host, recorded.Host, StringComparison.OrdinalIgnoreCase) || Port != recorded.Port)
        {
            differences.Add($"server {Host}:{Port}, expected {recorded.Host}:{recorded.Port}");
        }

        return differences.Count == 0 ? null : string.Join("; ", differences);
    }

    /// <summary>
    /// True when <paramref name="recorded"/> is this target as an earlier Backstop recorded it, without the database
    /// OID: recording this identity only adds what was missing.
    /// </summary>
    public bool Completes(ServerIdentity recorded) =>
        recorded.DatabaseOid is null && DatabaseOid is not null && DifferenceFrom(recorded) is null;
}
