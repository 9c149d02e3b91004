using Npgsql;

namespace Backstop.Recovery.Pitr;

/// <summary>The settings of a running server that WAL archiving depends on, as the server reports them now.</summary>
public sealed record ServerSettings
{
    public required int Port { get; init; }

    /// <summary>The first of <c>unix_socket_directories</c>; null when the server has no socket or the role may not see the setting.</summary>
    public required string? SocketDirectory { get; init; }

    public required string WalLevel { get; init; }

    public required string ArchiveMode { get; init; }

    /// <summary>Empty when unset, <c>(disabled)</c> while archive_mode is off, and empty when the role may not see it.</summary>
    public required string ArchiveCommand { get; init; }

    /// <summary><c>archive_library</c> (PostgreSQL 15+); empty when WAL goes through archive_command.</summary>
    public required string ArchiveLibrary { get; init; }

    /// <summary><c>archive_timeout</c> in seconds; 0: off (a segment is archived only when it is full or switched).</summary>
    public int ArchiveTimeoutSeconds { get; init; }

    /// <summary>
    /// The values the configuration files hold now (pg_file_settings, readable by superusers), which differ from the
    /// running ones while a restart is pending; empty when they cannot be read.
    /// </summary>
    public IReadOnlyDictionary<string, string> FileValues { get; init; } = new Dictionary<string, string>();

    /// <summary>Whether the connected role may run ALTER SYSTEM for the archive settings and reload the configuration.</summary>
    public required bool CanAlterSystem { get; init; }

    public required string Role { get; init; }

    /// <summary><c>archive_mode</c> is <c>on</c> or <c>always</c> in the running server.</summary>
    public bool Archiving => ArchiveMode is "on" or "always";

    public static async Task<ServerSettings> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // Settings that may hold secrets (archive_command, unix_socket_directories, …) are visible only to superusers
        // and pg_read_all_settings; pg_settings leaves them out for others instead of failing.
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand(
            "SELECT name, setting FROM pg_settings WHERE name IN ('port', 'unix_socket_directories', 'wal_level', 'archive_mode', 'archive_command', 'archive_library', 'archive_timeout')", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                values[reader.GetString(0)] = reader.GetString(1);
            }
        }

        // ALTER SYSTEM needs superuser, or (PostgreSQL 15+) the ALTER SYSTEM privilege on each parameter
        // (docs: "SQL Commands → ALTER SYSTEM", "GRANT … ON PARAMETER").
        var parameterPrivileges = connection.PostgreSqlVersion.Major >= 15
            ? """
              has_function_privilege('pg_catalog.pg_reload_conf()', 'EXECUTE')
              AND has_parameter_privilege('archive_mode', 'ALTER SYSTEM') AND has_parameter_privilege('archive_command', 'ALTER SYSTEM')
              AND has_parameter_privilege('archive_timeout', 'ALTER SYSTEM')
              """
            : "false";
        string role;
        bool canAlter;
        await using (var command = new NpgsqlCommand($"SELECT current_user::text, r.rolsuper OR ({parameterPrivileges}) FROM pg_roles r WHERE r.rolname = current_user", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            role = reader.GetString(0);
            canAlter = reader.GetBoolean(1);
        }

        var sockets = values.GetValueOrDefault("unix_socket_directories", "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new ServerSettings
        {
            Port = int.Parse(values["port"], System.Globalization.CultureInfo.InvariantCulture),
            SocketDirectory = sockets.FirstOrDefault(s => s.StartsWith('/')),
            WalLevel = values["wal_level"],
            ArchiveMode = values["archive_mode"],
            ArchiveCommand = values.GetValueOrDefault("archive_command", ""),
            ArchiveLibrary = values.GetValueOrDefault("archive_library", ""),
            ArchiveTimeoutSeconds = int.Parse(values.GetValueOrDefault("archive_timeout", "0"), System.Globalization.CultureInfo.InvariantCulture),
            Role = role,
            CanAlterSystem = canAlter,
            FileValues = await ReadFileValuesAsync(connection, cancellationToken),
        };
    }

    /// <summary>
    /// The last line for each archive setting across the configuration files (the last one wins, as at a reload). A line
    /// waiting for a restart shows an error ("setting could not be applied") and still counts.
    /// </summary>
    private static async Task<IReadOnlyDictionary<string, string>> ReadFileValuesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var allowed = new NpgsqlCommand("SELECT has_function_privilege('pg_catalog.pg_show_all_file_settings()', 'EXECUTE')", connection))
        {
            if (!(bool)(await allowed.ExecuteScalarAsync(cancellationToken))!)
            {
                return values;
            }
        }

        await using var command = new NpgsqlCommand(
            "SELECT name, setting FROM pg_file_settings WHERE name IN ('archive_mode', 'archive_command', 'wal_level') ORDER BY seqno", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            values[reader.GetString(0)] = reader.GetString(1);
        }

        return values;
    }
}
