using Npgsql;

namespace Backstop.Recovery.Pitr;

/// <summary>The settings of a running server that WAL archiving depends on, as the server reports them now.</summary>
public sealed record ServerSettings
{
    public required int Port { get; init; }

    /// <summary>The first of <c>unix_socket_directories</c>; null when the server has no socket.</summary>
    public required string? SocketDirectory { get; init; }

    public required string WalLevel { get; init; }

    public required string ArchiveMode { get; init; }

    public required string ArchiveCommand { get; init; }

    /// <summary><c>archive_library</c> (PostgreSQL 15+); empty when WAL goes through archive_command.</summary>
    public required string ArchiveLibrary { get; init; }

    /// <summary>Whether the connected role may run ALTER SYSTEM for the archive settings and reload the configuration.</summary>
    public required bool CanAlterSystem { get; init; }

    public required string Role { get; init; }

    /// <summary><c>archive_mode</c> is <c>on</c> or <c>always</c> in the running server.</summary>
    public bool Archiving => ArchiveMode is "on" or "always";

    public static async Task<ServerSettings> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // ALTER SYSTEM needs superuser, or (PostgreSQL 15+) the ALTER SYSTEM privilege on each parameter
        // (docs: "SQL Commands → ALTER SYSTEM", "GRANT ... ON PARAMETER").
        var parameterPrivileges = connection.PostgreSqlVersion.Major >= 15
            ? """
              has_function_privilege('pg_catalog.pg_reload_conf()', 'EXECUTE')
              AND has_parameter_privilege('archive_mode', 'ALTER SYSTEM') AND has_parameter_privilege('archive_command', 'ALTER SYSTEM')
              """
            : "false";
        var sql = $"""
            SELECT current_setting('port')::int, current_setting('unix_socket_directories'), current_setting('wal_level'),
                   current_setting('archive_mode'), current_setting('archive_command'), current_user::text,
                   r.rolsuper OR ({parameterPrivileges}),
                   {(connection.PostgreSqlVersion.Major >= 15 ? "current_setting('archive_library')" : "''")}
            FROM pg_roles r WHERE r.rolname = current_user
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var sockets = reader.GetString(1).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new ServerSettings
        {
            Port = reader.GetInt32(0),
            SocketDirectory = sockets.FirstOrDefault(s => s.StartsWith('/')),
            WalLevel = reader.GetString(2),
            ArchiveMode = reader.GetString(3),
            ArchiveCommand = reader.GetString(4),
            Role = reader.GetString(5),
            CanAlterSystem = reader.GetBoolean(6),
            ArchiveLibrary = reader.GetString(7),
        };
    }
}
