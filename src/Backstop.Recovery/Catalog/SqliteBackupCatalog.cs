using System.Globalization;
using Backstop.Core.State;
using Microsoft.Data.Sqlite;

namespace Backstop.Recovery.Catalog;

/// <summary>The backup catalog in the SQLite state file: its tables are <see cref="StateSchema"/>'s, like the change record's.</summary>
public sealed class SqliteBackupCatalog(SqliteStateFile file) : IBackupCatalog
{
    public Task AddAsync(BackupEntry entry, CancellationToken cancellationToken)
    {
        var values = BackupRows.Backup(entry, Format);
        return WriteAsync(BackupRows.Insert("backups", values, '$'), values, cancellationToken);
    }

    public Task UpdateAsync(BackupEntry entry, CancellationToken cancellationToken) =>
        WriteAsync(BackupRows.UpdateFinished("backups", '$'), BackupRows.Backup(entry, Format), cancellationToken);

    public async Task<BackupEntry?> GetAsync(string environment, string id, CancellationToken cancellationToken)
    {
        var found = await QueryBackupsAsync("SELECT * FROM backups WHERE environment = $environment AND id = $id", [("$environment", environment), ("$id", id)], cancellationToken);
        return found.Count == 0 ? null : found[0];
    }

    public Task<IReadOnlyList<BackupEntry>> ListAsync(string? environment, CancellationToken cancellationToken) =>
        environment is null
            ? QueryBackupsAsync("SELECT * FROM backups ORDER BY started_at DESC, id DESC", [], cancellationToken)
            : QueryBackupsAsync("SELECT * FROM backups WHERE environment = $environment ORDER BY started_at DESC, id DESC", [("$environment", environment)], cancellationToken);

    public Task<long> AddDrillAsync(DrillEntry drill, CancellationToken cancellationToken) =>
        file.WriteAsync(async (connection, ct) =>
        {
            var values = BackupRows.Drill(drill, Format, drill.Passed ? 1 : 0);
            await using var command = new SqliteCommand(BackupRows.Insert("drills", values, '$') + " RETURNING id", connection);
            Bind(command, values);
            return (long)(await command.ExecuteScalarAsync(ct))!;
        }, cancellationToken);

    public Task<IReadOnlyList<DrillEntry>> ListDrillsAsync(string? environment, CancellationToken cancellationToken) =>
        file.ReadAsync<IReadOnlyList<DrillEntry>>(async (connection, ct) =>
        {
            await using var command = new SqliteCommand(
                environment is null ? "SELECT * FROM drills ORDER BY id DESC" : "SELECT * FROM drills WHERE environment = $environment ORDER BY id DESC", connection);
            if (environment is not null)
            {
                command.Parameters.AddWithValue("$environment", environment);
            }

            var result = new List<DrillEntry>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                result.Add(new DrillEntry
                {
                    Id = reader.GetInt64(reader.GetOrdinal("id")),
                    Environment = reader.GetString(reader.GetOrdinal("environment")),
                    BackupId = reader.GetString(reader.GetOrdinal("backup_id")),
                    Kind = reader.GetString(reader.GetOrdinal("kind")),
                    StartedAt = Parse(reader.GetString(reader.GetOrdinal("started_at"))),
                    FinishedAt = Parse(reader.GetString(reader.GetOrdinal("finished_at"))),
                    Passed = reader.GetInt64(reader.GetOrdinal("passed")) != 0,
                    FailedCheck = NullableString(reader, "failed_check"),
                    FailedObject = NullableString(reader, "failed_object"),
                    Message = NullableString(reader, "message"),
                    Durations = reader.GetString(reader.GetOrdinal("durations")),
                });
            }

            return result;
        }, cancellationToken);

    private Task WriteAsync(string sql, IReadOnlyList<(string Column, object Value)> values, CancellationToken cancellationToken) =>
        file.WriteAsync(async (connection, ct) =>
        {
            await using var command = new SqliteCommand(sql, connection);
            Bind(command, values);
            return await command.ExecuteNonQueryAsync(ct);
        }, cancellationToken);

    private static void Bind(SqliteCommand command, IEnumerable<(string Column, object Value)> values)
    {
        foreach (var (column, value) in values)
        {
            command.Parameters.AddWithValue("$" + column, value);
        }
    }

    private Task<IReadOnlyList<BackupEntry>> QueryBackupsAsync(string sql, IReadOnlyList<(string Name, object Value)> parameters, CancellationToken cancellationToken) =>
        file.ReadAsync<IReadOnlyList<BackupEntry>>(async (connection, ct) =>
        {
            await using var command = new SqliteCommand(sql, connection);
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
                    Environment = reader.GetString(reader.GetOrdinal("environment")),
                    Id = reader.GetString(reader.GetOrdinal("id")),
                    Kind = reader.GetString(reader.GetOrdinal("kind")),
                    Status = StoredEnum.Parse(reader.GetString(reader.GetOrdinal("status")), BackupStatus.Unknown),
                    Path = reader.GetString(reader.GetOrdinal("path")),
                    Database = reader.GetString(reader.GetOrdinal("database")),
                    SystemIdentifier = reader.GetString(reader.GetOrdinal("system_identifier")),
                    StartedAt = Parse(reader.GetString(reader.GetOrdinal("started_at"))),
                    FinishedAt = NullableString(reader, "finished_at") is { } finished ? Parse(finished) : null,
                    SizeBytes = reader.IsDBNull(reader.GetOrdinal("size_bytes")) ? null : reader.GetInt64(reader.GetOrdinal("size_bytes")),
                    Tables = reader.IsDBNull(reader.GetOrdinal("tables")) ? null : reader.GetInt32(reader.GetOrdinal("tables")),
                    Rows = reader.IsDBNull(reader.GetOrdinal("rows")) ? null : reader.GetInt64(reader.GetOrdinal("rows")),
                    Message = NullableString(reader, "message"),
                    ProcessId = reader.GetInt32(reader.GetOrdinal("pid")),
                });
            }

            return result;
        }, cancellationToken);

    private static string? NullableString(SqliteDataReader reader, string column)
    {
        var ordinal = reader.GetOrdinal(column);
        return reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
    }

    private static object Format(DateTimeOffset value) => value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
