using System.Globalization;
using System.Text.Json;
using Backstop.Core.Policies;
using Backstop.Core.Preview;
using Microsoft.Data.Sqlite;

namespace Backstop.Core.State;

/// <summary>The state store in a SQLite file (<c>.backstop/state.db</c>), created on first use.</summary>
public sealed class SqliteStateStore : IStateStore
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS changes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            environment TEXT NOT NULL,
            system_identifier TEXT NOT NULL,
            database TEXT NOT NULL,
            host TEXT NOT NULL,
            port INTEGER NOT NULL,
            script TEXT NOT NULL,
            script_sha256 TEXT NOT NULL,
            verdict TEXT NOT NULL,
            reasons TEXT NOT NULL,
            impact TEXT NOT NULL,
            os_user TEXT NOT NULL,
            started_at TEXT NOT NULL,
            duration_ms INTEGER,
            outcome TEXT NOT NULL,
            message TEXT,
            change_uuid TEXT,
            undo_of INTEGER
        );
        CREATE INDEX IF NOT EXISTS changes_environment ON changes (environment, id);
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly string _connectionString;

    private SqliteStateStore(string connectionString) => _connectionString = connectionString;

    public static async Task<SqliteStateStore> OpenAsync(string path, CancellationToken cancellationToken)
    {
        // Scripts can hold secrets (ALTER ROLE … PASSWORD): the store is for its owner's eyes only.
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        var store = new SqliteStateStore(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var command = new SqliteCommand(Schema, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
        await AddMissingColumnsAsync(connection, cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return store;
    }

    /// <summary>Stores written by an earlier version lack the columns added since; add them.</summary>
    private static async Task AddMissingColumnsAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var columns = new HashSet<string>(StringComparer.Ordinal);
        await using (var info = new SqliteCommand("SELECT name FROM pragma_table_info('changes')", connection))
        await using (var reader = await info.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                columns.Add(reader.GetString(0));
            }
        }

        foreach (var (column, type) in new[] { ("change_uuid", "TEXT"), ("undo_of", "INTEGER") })
        {
            if (!columns.Contains(column))
            {
                await using var alter = new SqliteCommand($"ALTER TABLE changes ADD COLUMN {column} {type}", connection);
                await alter.ExecuteNonQueryAsync(cancellationToken);
            }
        }
    }

    public async Task<long> AddAsync(ChangeRecord change, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = new SqliteCommand(
            """
            INSERT INTO changes (environment, system_identifier, database, host, port, script, script_sha256, verdict, reasons, impact, os_user, started_at, duration_ms, outcome, message, change_uuid, undo_of)
            VALUES ($environment, $system_identifier, $database, $host, $port, $script, $script_sha256, $verdict, $reasons, $impact, $os_user, $started_at, $duration_ms, $outcome, $message, $change_uuid, $undo_of)
            RETURNING id
            """, connection);
        Bind(command, change);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task UpdateAsync(ChangeRecord change, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = new SqliteCommand(
            "UPDATE changes SET verdict = $verdict, reasons = $reasons, impact = $impact, duration_ms = $duration_ms, outcome = $outcome, message = $message WHERE id = $id", connection);
        Bind(command, change);
        command.Parameters.AddWithValue("$id", change.Id);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<ChangeRecord?> GetAsync(long id, CancellationToken cancellationToken)
    {
        var found = await QueryAsync("SELECT * FROM changes WHERE id = $id", [("$id", id)], cancellationToken);
        return found.Count == 0 ? null : found[0];
    }

    public Task<IReadOnlyList<ChangeRecord>> ListAsync(string? environment, int limit, CancellationToken cancellationToken) =>
        environment is null
            ? QueryAsync("SELECT * FROM changes ORDER BY id DESC LIMIT $limit", [("$limit", limit)], cancellationToken)
            : QueryAsync("SELECT * FROM changes WHERE environment = $environment ORDER BY id DESC LIMIT $limit", [("$environment", environment), ("$limit", limit)], cancellationToken);

    private async Task<IReadOnlyList<ChangeRecord>> QueryAsync(string sql, (string Name, object Value)[] parameters, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = new SqliteCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var result = new List<ChangeRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new ChangeRecord
            {
                Id = reader.GetInt64(reader.GetOrdinal("id")),
                Environment = reader.GetString(reader.GetOrdinal("environment")),
                SystemIdentifier = reader.GetString(reader.GetOrdinal("system_identifier")),
                Database = reader.GetString(reader.GetOrdinal("database")),
                Host = reader.GetString(reader.GetOrdinal("host")),
                Port = reader.GetInt32(reader.GetOrdinal("port")),
                Script = reader.GetString(reader.GetOrdinal("script")),
                ScriptSha256 = reader.GetString(reader.GetOrdinal("script_sha256")),
                Verdict = Enum.Parse<Verdict>(reader.GetString(reader.GetOrdinal("verdict"))),
                Reasons = JsonSerializer.Deserialize<List<string>>(reader.GetString(reader.GetOrdinal("reasons")), Json) ?? [],
                Impact = JsonSerializer.Deserialize<List<StatementImpact>>(reader.GetString(reader.GetOrdinal("impact")), Json) ?? [],
                OsUser = reader.GetString(reader.GetOrdinal("os_user")),
                StartedAt = DateTimeOffset.Parse(reader.GetString(reader.GetOrdinal("started_at")), CultureInfo.InvariantCulture),
                Duration = reader.IsDBNull(reader.GetOrdinal("duration_ms")) ? null : TimeSpan.FromMilliseconds(reader.GetInt64(reader.GetOrdinal("duration_ms"))),
                Outcome = Enum.Parse<ChangeOutcome>(reader.GetString(reader.GetOrdinal("outcome"))),
                Message = reader.IsDBNull(reader.GetOrdinal("message")) ? null : reader.GetString(reader.GetOrdinal("message")),
                ChangeUuid = reader.IsDBNull(reader.GetOrdinal("change_uuid")) ? Guid.Empty : Guid.Parse(reader.GetString(reader.GetOrdinal("change_uuid"))),
                UndoOf = reader.IsDBNull(reader.GetOrdinal("undo_of")) ? null : reader.GetInt64(reader.GetOrdinal("undo_of")),
            });
        }

        return result;
    }

    private static void Bind(SqliteCommand command, ChangeRecord change)
    {
        command.Parameters.AddWithValue("$environment", change.Environment);
        command.Parameters.AddWithValue("$system_identifier", change.SystemIdentifier);
        command.Parameters.AddWithValue("$database", change.Database);
        command.Parameters.AddWithValue("$host", change.Host);
        command.Parameters.AddWithValue("$port", change.Port);
        command.Parameters.AddWithValue("$script", change.Script);
        command.Parameters.AddWithValue("$script_sha256", change.ScriptSha256);
        command.Parameters.AddWithValue("$verdict", change.Verdict.ToString());
        command.Parameters.AddWithValue("$reasons", JsonSerializer.Serialize(change.Reasons, Json));
        command.Parameters.AddWithValue("$impact", JsonSerializer.Serialize(change.Impact, Json));
        command.Parameters.AddWithValue("$os_user", change.OsUser);
        command.Parameters.AddWithValue("$started_at", change.StartedAt.ToString("O", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$duration_ms", change.Duration is { } d ? (long)d.TotalMilliseconds : DBNull.Value);
        command.Parameters.AddWithValue("$outcome", change.Outcome.ToString());
        command.Parameters.AddWithValue("$message", (object?)change.Message ?? DBNull.Value);
        command.Parameters.AddWithValue("$change_uuid", change.ChangeUuid.ToString());
        command.Parameters.AddWithValue("$undo_of", (object?)change.UndoOf ?? DBNull.Value);
    }

    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}
