using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Backstop.Recovery.Catalog;

/// <summary>The state of one backup in the catalog.</summary>
public enum BackupStatus
{
    /// <summary>Being written; never usable. A run whose process is gone is settled to Interrupted or Complete.</summary>
    Running,

    /// <summary>Written in full: dump, manifest and checksums. Usable; proven once a drill passes.</summary>
    Complete,

    /// <summary>pg_dump or a check failed; never usable.</summary>
    Failed,

    /// <summary>The process stopped part-way (killed, crashed); never usable.</summary>
    Interrupted,

    /// <summary>Removed by retention.</summary>
    Expired,
}

/// <summary>A backup as the catalog records it.</summary>
public sealed record BackupEntry
{
    public required string Environment { get; init; }

    public required string Id { get; init; }

    /// <summary><c>logical</c> (pg_dump) or <c>pitr</c> (pgBackRest).</summary>
    public required string Kind { get; init; }

    public required BackupStatus Status { get; init; }

    public required string Path { get; init; }

    public required string Database { get; init; }

    public required string SystemIdentifier { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public long? SizeBytes { get; init; }

    public int? Tables { get; init; }

    public long? Rows { get; init; }

    public string? Message { get; init; }

    public int ProcessId { get; init; }
}

/// <summary>One restore drill (or PITR drill) and its outcome.</summary>
public sealed record DrillEntry
{
    public long Id { get; init; }

    public required string Environment { get; init; }

    /// <summary>The backup drilled; for a PITR drill, the recovery target.</summary>
    public required string BackupId { get; init; }

    public required string Kind { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset FinishedAt { get; init; }

    public required bool Passed { get; init; }

    /// <summary>The check that failed first: manifest, restore, rows, fingerprint, amcheck, constraints, …</summary>
    public string? FailedCheck { get; init; }

    /// <summary>The file or table that failed it.</summary>
    public string? FailedObject { get; init; }

    public string? Message { get; init; }

    /// <summary>Seconds per step, as JSON (<c>{"manifest": 0.4, "restore": 12.1, …}</c>).</summary>
    public string Durations { get; init; } = "{}";
}

/// <summary>
/// The backup catalog (DESIGN.md, D4): backups and drills, in the state store's SQLite file. A backup is usable only
/// when its entry is Complete; it is proven when a drill of it passed.
/// </summary>
public sealed class BackupCatalog
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS backups (
            environment TEXT NOT NULL,
            id TEXT NOT NULL,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            path TEXT NOT NULL,
            database TEXT NOT NULL,
            system_identifier TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            size_bytes INTEGER,
            tables INTEGER,
            rows INTEGER,
            message TEXT,
            pid INTEGER NOT NULL,
            PRIMARY KEY (environment, id)
        );
        CREATE TABLE IF NOT EXISTS drills (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            environment TEXT NOT NULL,
            backup_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            passed INTEGER NOT NULL,
            failed_check TEXT,
            failed_object TEXT,
            message TEXT,
            durations TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS drills_backup ON drills (environment, backup_id, id);
        """;

    private readonly string _connectionString;

    private BackupCatalog(string connectionString) => _connectionString = connectionString;

    public static async Task<BackupCatalog> OpenAsync(string path, CancellationToken cancellationToken)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var catalog = new BackupCatalog(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 30 }.ToString());
        await using var connection = await catalog.OpenConnectionAsync(cancellationToken);
        await using var command = new SqliteCommand(Schema, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return catalog;
    }

    public async Task AddAsync(BackupEntry entry, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = new SqliteCommand(
            """
            INSERT INTO backups (environment, id, kind, status, path, database, system_identifier, started_at, finished_at, size_bytes, tables, rows, message, pid)
            VALUES ($environment, $id, $kind, $status, $path, $database, $system_identifier, $started_at, $finished_at, $size_bytes, $tables, $rows, $message, $pid)
            """, connection);
        Bind(command, entry);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task UpdateAsync(BackupEntry entry, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = new SqliteCommand(
            """
            UPDATE backups SET status = $status, path = $path, finished_at = $finished_at, size_bytes = $size_bytes, tables = $tables, rows = $rows, message = $message
            WHERE environment = $environment AND id = $id
            """, connection);
        Bind(command, entry);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<BackupEntry?> GetAsync(string environment, string id, CancellationToken cancellationToken)
    {
        var found = await QueryBackupsAsync("SELECT * FROM backups WHERE environment = $environment AND id = $id", [("$environment", environment), ("$id", id)], cancellationToken);
        return found.Count == 0 ? null : found[0];
    }

    /// <summary>Backups of an environment (all environments when null), newest first.</summary>
    public Task<IReadOnlyList<BackupEntry>> ListAsync(string? environment, CancellationToken cancellationToken) =>
        environment is null
            ? QueryBackupsAsync("SELECT * FROM backups ORDER BY started_at DESC, id DESC", [], cancellationToken)
            : QueryBackupsAsync("SELECT * FROM backups WHERE environment = $environment ORDER BY started_at DESC, id DESC", [("$environment", environment)], cancellationToken);

    public async Task<long> AddDrillAsync(DrillEntry drill, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = new SqliteCommand(
            """
            INSERT INTO drills (environment, backup_id, kind, started_at, finished_at, passed, failed_check, failed_object, message, durations)
            VALUES ($environment, $backup_id, $kind, $started_at, $finished_at, $passed, $failed_check, $failed_object, $message, $durations)
            RETURNING id
            """, connection);
        command.Parameters.AddWithValue("$environment", drill.Environment);
        command.Parameters.AddWithValue("$backup_id", drill.BackupId);
        command.Parameters.AddWithValue("$kind", drill.Kind);
        command.Parameters.AddWithValue("$started_at", Format(drill.StartedAt));
        command.Parameters.AddWithValue("$finished_at", Format(drill.FinishedAt));
        command.Parameters.AddWithValue("$passed", drill.Passed ? 1 : 0);
        command.Parameters.AddWithValue("$failed_check", (object?)drill.FailedCheck ?? DBNull.Value);
        command.Parameters.AddWithValue("$failed_object", (object?)drill.FailedObject ?? DBNull.Value);
        command.Parameters.AddWithValue("$message", (object?)drill.Message ?? DBNull.Value);
        command.Parameters.AddWithValue("$durations", drill.Durations);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Drills of an environment (all when null), newest first.</summary>
    public async Task<IReadOnlyList<DrillEntry>> ListDrillsAsync(string? environment, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = new SqliteCommand(
            environment is null ? "SELECT * FROM drills ORDER BY id DESC" : "SELECT * FROM drills WHERE environment = $environment ORDER BY id DESC", connection);
        if (environment is not null)
        {
            command.Parameters.AddWithValue("$environment", environment);
        }

        var result = new List<DrillEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
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
    }

    private static void Bind(SqliteCommand command, BackupEntry entry)
    {
        command.Parameters.AddWithValue("$environment", entry.Environment);
        command.Parameters.AddWithValue("$id", entry.Id);
        command.Parameters.AddWithValue("$kind", entry.Kind);
        command.Parameters.AddWithValue("$status", entry.Status.ToString().ToLowerInvariant());
        command.Parameters.AddWithValue("$path", entry.Path);
        command.Parameters.AddWithValue("$database", entry.Database);
        command.Parameters.AddWithValue("$system_identifier", entry.SystemIdentifier);
        command.Parameters.AddWithValue("$started_at", Format(entry.StartedAt));
        command.Parameters.AddWithValue("$finished_at", entry.FinishedAt is { } finished ? Format(finished) : DBNull.Value);
        command.Parameters.AddWithValue("$size_bytes", (object?)entry.SizeBytes ?? DBNull.Value);
        command.Parameters.AddWithValue("$tables", (object?)entry.Tables ?? DBNull.Value);
        command.Parameters.AddWithValue("$rows", (object?)entry.Rows ?? DBNull.Value);
        command.Parameters.AddWithValue("$message", (object?)entry.Message ?? DBNull.Value);
        command.Parameters.AddWithValue("$pid", entry.ProcessId);
    }

    private async Task<IReadOnlyList<BackupEntry>> QueryBackupsAsync(string sql, IReadOnlyList<(string Name, object Value)> parameters, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = new SqliteCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var result = new List<BackupEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new BackupEntry
            {
                Environment = reader.GetString(reader.GetOrdinal("environment")),
                Id = reader.GetString(reader.GetOrdinal("id")),
                Kind = reader.GetString(reader.GetOrdinal("kind")),
                Status = Enum.Parse<BackupStatus>(reader.GetString(reader.GetOrdinal("status")), ignoreCase: true),
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
    }

    private static string? NullableString(SqliteDataReader reader, string column)
    {
        var ordinal = reader.GetOrdinal(column);
        return reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
    }

    private static string Format(DateTimeOffset value) => value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}
