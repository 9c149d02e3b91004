using Backstop.Core.State;
using Npgsql;

namespace Backstop.Recovery.Catalog;

/// <summary>
/// The backup catalog in a PostgreSQL state database (<see cref="PostgresStateDatabase"/>), as
/// <see cref="SqliteBackupCatalog"/> keeps it in a file. Drill ids come from an identity column.
/// </summary>
public sealed class PostgresBackupCatalog(PostgresStateDatabase database) : IBackupCatalog
{
    public Task AddAsync(BackupEntry entry, CancellationToken cancellationToken)
    {
        var values = BackupRows.Backup(entry, Instant);
        return WriteAsync(BackupRows.Insert("backstop_state.backups", values, '@'), values, cancellationToken);
    }

    public Task UpdateAsync(BackupEntry entry, CancellationToken cancellationToken) =>
        WriteAsync(BackupRows.UpdateFinished("backstop_state.backups", '@'), BackupRows.Backup(entry, Instant), cancellationToken);

    public async Task<BackupEntry?> GetAsync(string environment, string id, CancellationToken cancellationToken)
    {
        var found = await QueryBackupsAsync("WHERE environment = @environment AND id = @id", [("environment", environment), ("id", id)], cancellationToken);
        return found.Count == 0 ? null : found[0];
    }

    public Task<IReadOnlyList<BackupEntry>> ListAsync(string? environment, CancellationToken cancellationToken) =>
        environment is null
            ? QueryBackupsAsync("", [], cancellationToken)
            : QueryBackupsAsync("WHERE environment = @environment", [("environment", environment)], cancellationToken);

    public Task<long> AddDrillAsync(DrillEntry drill, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, ct) =>
        {
            var values = BackupRows.Drill(drill, Instant, drill.Passed);
            await using var command = new NpgsqlCommand(BackupRows.Insert("backstop_state.drills", values, '@') + " RETURNING id", connection);
            Bind(command, values);
            return (long)(await command.ExecuteScalarAsync(ct))!;
        }, cancellationToken);

    public Task<IReadOnlyList<DrillEntry>> ListDrillsAsync(string? environment, CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<DrillEntry>>(async (connection, ct) =>
        {
            await using var command = new NpgsqlCommand(
                "SELECT id, environment, backup_id, kind, started_at, finished_at, passed, failed_check, failed_object, message, durations FROM backstop_state.drills" +
                (environment is null ? "" : " WHERE environment = @environment") + " ORDER BY id DESC", connection);
            if (environment is not null)
            {
                command.Parameters.AddWithValue("environment", environment);
            }

            var result = new List<DrillEntry>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                result.Add(new DrillEntry
                {
                    Id = reader.GetInt64(0),
                    Environment = reader.GetString(1),
                    BackupId = reader.GetString(2),
                    Kind = reader.GetString(3),
                    StartedAt = InstantAt(reader, 4)!.Value,
                    FinishedAt = InstantAt(reader, 5)!.Value,
                    Passed = reader.GetBoolean(6),
                    FailedCheck = reader.IsDBNull(7) ? null : reader.GetString(7),
                    FailedObject = reader.IsDBNull(8) ? null : reader.GetString(8),
                    Message = reader.IsDBNull(9) ? null : reader.GetString(9),
                    Durations = reader.GetString(10),
                });
            }

            return result;
        }, cancellationToken);

    private Task WriteAsync(string sql, IReadOnlyList<(string Column, object Value)> values, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, ct) =>
        {
            await using var command = new NpgsqlCommand(sql, connection);
            Bind(command, values);
            return await command.ExecuteNonQueryAsync(ct);
        }, cancellationToken);

    /// <summary>A null takes the type PostgreSQL infers for its place in the statement.</summary>
    private static void Bind(NpgsqlCommand command, IEnumerable<(string Column, object Value)> values)
    {
        foreach (var (column, value) in values)
        {
            command.Parameters.Add(new NpgsqlParameter(column, value));
        }
    }

    /// <summary>An instant as a <c>timestamptz</c> parameter (a UTC <see cref="DateTime"/>).</summary>
    private static object Instant(DateTimeOffset value) => value.UtcDateTime;

    /// <param name="where">the WHERE clause, or empty; its values are in <paramref name="parameters"/>.</param>
    private Task<IReadOnlyList<BackupEntry>> QueryBackupsAsync(string where, IReadOnlyList<(string Name, object Value)> parameters, CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<BackupEntry>>(async (connection, ct) =>
        {
            await using var command = new NpgsqlCommand(
                "SELECT environment, id, kind, status, path, database, system_identifier, started_at, finished_at, size_bytes, tables, rows, message, pid " +
                $"FROM backstop_state.backups {where} ORDER BY started_at DESC, id DESC", connection);
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            var result = new List<BackupEntry>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                result.Add(new BackupEntry
                {
                    Environment = reader.GetString(0),
                    Id = reader.GetString(1),
                    Kind = reader.GetString(2),
                    Status = StoredEnum.Parse(reader.GetString(3), BackupStatus.Unknown),
                    Path = reader.GetString(4),
                    Database = reader.GetString(5),
                    SystemIdentifier = reader.GetString(6),
                    StartedAt = InstantAt(reader, 7)!.Value,
                    FinishedAt = InstantAt(reader, 8),
                    SizeBytes = reader.IsDBNull(9) ? null : reader.GetInt64(9),
                    Tables = reader.IsDBNull(10) ? null : reader.GetInt32(10),
                    Rows = reader.IsDBNull(11) ? null : reader.GetInt64(11),
                    Message = reader.IsDBNull(12) ? null : reader.GetString(12),
                    ProcessId = reader.GetInt32(13),
                });
            }

            return result;
        }, cancellationToken);

    /// <summary>A timestamptz as an instant in UTC, as the SQLite catalog reads its times back.</summary>
    private static DateTimeOffset? InstantAt(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : new DateTimeOffset(reader.GetFieldValue<DateTime>(ordinal));
}
