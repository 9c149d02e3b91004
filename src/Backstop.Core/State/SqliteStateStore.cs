using System.Globalization;
using System.Text;
using System.Text.Json;
using Backstop.Core.Policies;
using Backstop.Core.Preview;
using Microsoft.Data.Sqlite;

namespace Backstop.Core.State;

/// <summary>
/// The state store in a SQLite file (<c>.backstop/state.db</c>), created on first use. Several commands may use the
/// file at once: it is in WAL mode (readers and the writer do not block each other), every write is one BEGIN IMMEDIATE
/// transaction, and locks are waited for and retried (<see cref="SqliteBusy"/>). A script is kept once, by its SHA-256,
/// and read back only as far as a command needs (<see cref="StateSchema"/>).
/// </summary>
public sealed class SqliteStateStore : IStateStore
{
    /// <summary>How much of the script <see cref="ListAsync"/> reads: enough for a first line.</summary>
    private const int ListedCharacters = 200;

    private const string Columns = """
        c.id, c.environment, c.system_identifier, c.database, c.host, c.port, c.script_sha256, c.verdict, c.reasons, c.impact,
        c.os_user, c.started_at, c.duration_ms, c.outcome, c.message, c.change_uuid, c.undo_of, s.size_bytes
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly string _path;
    private readonly string _connectionString;

    private SqliteStateStore(string path)
    {
        _path = path;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();
    }

    /// <exception cref="Configuration.ConfigException">the file was written by a newer Backstop.</exception>
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

        var store = new SqliteStateStore(path);
        await SqliteBusy.RetryAsync(path, async ct =>
        {
            await using var connection = await store.OpenConnectionAsync(ct);

            // WAL is a property of the file (it stays set), so this is a no-op read after the first time; the -wal and
            // -shm files SQLite creates take the database file's permissions.
            await using (var wal = new SqliteCommand("PRAGMA journal_mode = WAL", connection))
            {
                await wal.ExecuteScalarAsync(ct);
            }

            await StateSchema.EnsureAsync(connection, path, ct);
            return true;
        }, cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return store;
    }

    public Task<long> AddAsync(ChangeRecord change, CancellationToken cancellationToken)
    {
        var sizeBytes = Encoding.UTF8.GetByteCount(change.Script);
        var head = Head(change.Script, StateSchema.HeadCharacters);
        return WriteAsync(async (connection, ct) =>
        {
            await using (var script = new SqliteCommand(
                "INSERT INTO scripts (sha256, size_bytes, head, text) VALUES ($sha256, $size_bytes, $head, $text) ON CONFLICT (sha256) DO NOTHING", connection))
            {
                script.Parameters.AddWithValue("$sha256", change.ScriptSha256);
                script.Parameters.AddWithValue("$size_bytes", sizeBytes);
                script.Parameters.AddWithValue("$head", head);
                script.Parameters.AddWithValue("$text", change.Script);
                await script.ExecuteNonQueryAsync(ct);
            }

            await using var command = new SqliteCommand(
                """
                INSERT INTO changes (environment, system_identifier, database, host, port, script_sha256, verdict, reasons, impact, os_user, started_at, duration_ms, outcome, message, change_uuid, undo_of)
                VALUES ($environment, $system_identifier, $database, $host, $port, $script_sha256, $verdict, $reasons, $impact, $os_user, $started_at, $duration_ms, $outcome, $message, $change_uuid, $undo_of)
                RETURNING id
                """, connection);
            Bind(command, change);
            return (long)(await command.ExecuteScalarAsync(ct))!;
        }, cancellationToken);
    }

    public Task UpdateAsync(ChangeRecord change, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, ct) =>
        {
            await using var command = new SqliteCommand(
                "UPDATE changes SET verdict = $verdict, reasons = $reasons, impact = $impact, duration_ms = $duration_ms, outcome = $outcome, message = $message WHERE id = $id", connection);
            Bind(command, change);
            command.Parameters.AddWithValue("$id", change.Id);
            return await command.ExecuteNonQueryAsync(ct);
        }, cancellationToken);

    public Task<bool> SettleRunningAsync(ChangeRecord change, CancellationToken cancellationToken) =>
        UpdateIfAsync(change, ChangeOutcome.Running, cancellationToken);

    public async Task<bool> UpdateIfAsync(ChangeRecord change, ChangeOutcome expected, CancellationToken cancellationToken) =>
        await WriteAsync(async (connection, ct) =>
        {
            await using var command = new SqliteCommand(
                "UPDATE changes SET verdict = $verdict, reasons = $reasons, impact = $impact, duration_ms = $duration_ms, outcome = $outcome, message = $message WHERE id = $id AND outcome = $expected", connection);
            Bind(command, change);
            command.Parameters.AddWithValue("$id", change.Id);
            command.Parameters.AddWithValue("$expected", expected.ToString());
            return await command.ExecuteNonQueryAsync(ct);
        }, cancellationToken) == 1;

    /// <summary>The change with the first <see cref="StateSchema.HeadCharacters"/> characters of its script.</summary>
    public async Task<ChangeRecord?> GetAsync(long id, CancellationToken cancellationToken)
    {
        var found = await QueryAsync(
            $"SELECT {Columns}, s.head FROM changes c JOIN scripts s ON s.sha256 = c.script_sha256 WHERE c.id = $id", [("$id", id)], cancellationToken);
        return found.Count == 0 ? null : found[0];
    }

    /// <summary>Newest first, each with only the first <see cref="ListedCharacters"/> characters of its script.</summary>
    public Task<IReadOnlyList<ChangeRecord>> ListAsync(string? environment, int limit, CancellationToken cancellationToken)
    {
        var head = $"substr(s.head, 1, {ListedCharacters.ToString(CultureInfo.InvariantCulture)})";
        return environment is null
            ? QueryAsync($"SELECT {Columns}, {head} FROM changes c JOIN scripts s ON s.sha256 = c.script_sha256 ORDER BY c.id DESC LIMIT $limit", [("$limit", limit)], cancellationToken)
            : QueryAsync(
                $"SELECT {Columns}, {head} FROM changes c JOIN scripts s ON s.sha256 = c.script_sha256 WHERE c.environment = $environment ORDER BY c.id DESC LIMIT $limit",
                [("$environment", environment), ("$limit", limit)], cancellationToken);
    }

    public Task<long?> FindIdAsync(Guid changeUuid, CancellationToken cancellationToken) =>
        SqliteBusy.RetryAsync(_path, async ct =>
        {
            await using var connection = await OpenConnectionAsync(ct);
            await using var command = new SqliteCommand("SELECT id FROM changes WHERE change_uuid = $uuid ORDER BY id LIMIT 1", connection);
            command.Parameters.AddWithValue("$uuid", changeUuid.ToString());
            return await command.ExecuteScalarAsync(ct) is long id ? id : (long?)null;
        }, cancellationToken);

    /// <summary>
    /// Writes the whole script of a change to <paramref name="destination"/>, streamed from the file in pieces
    /// (SQLite's incremental BLOB I/O), so a script of any size costs no more memory than one piece.
    /// </summary>
    /// <returns>false if there is no such change.</returns>
    public Task<bool> CopyScriptAsync(long id, TextWriter destination, CancellationToken cancellationToken) =>
        SqliteBusy.RetryAsync(_path, async ct =>
        {
            await using var connection = await OpenConnectionAsync(ct);
            await using var find = new SqliteCommand("SELECT s.rowid FROM changes c JOIN scripts s ON s.sha256 = c.script_sha256 WHERE c.id = $id", connection);
            find.Parameters.AddWithValue("$id", id);
            if (await find.ExecuteScalarAsync(ct) is not long rowid)
            {
                return false;
            }

            await using var blob = new SqliteBlob(connection, "scripts", "text", rowid, readOnly: true);
            using var reader = new StreamReader(blob, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
            var buffer = new char[1 << 16];
            int read;
            while ((read = await reader.ReadAsync(buffer, ct)) > 0)
            {
                await destination.WriteAsync(buffer.AsMemory(0, read), ct);
            }

            return true;
        }, cancellationToken);

    /// <summary>The first <paramref name="characters"/> UTF-16 code units of a script, never ending inside a surrogate pair.</summary>
    private static string Head(string script, int characters)
    {
        if (script.Length <= characters)
        {
            return script;
        }

        return script[..(char.IsHighSurrogate(script[characters - 1]) ? characters - 1 : characters)];
    }

    /// <summary>One write transaction, begun IMMEDIATE: the write lock is taken (and waited for) before anything is read.</summary>
    private Task<T> WriteAsync<T>(Func<SqliteConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        SqliteBusy.RetryAsync(_path, async ct =>
        {
            await using var connection = await OpenConnectionAsync(ct);
            await using (var begin = new SqliteCommand("BEGIN IMMEDIATE", connection))
            {
                await begin.ExecuteNonQueryAsync(ct);
            }

            // Closing the connection without COMMIT rolls the transaction back.
            var result = await work(connection, ct);
            await using (var commit = new SqliteCommand("COMMIT", connection))
            {
                await commit.ExecuteNonQueryAsync(ct);
            }

            return result;
        }, cancellationToken);

    private Task<IReadOnlyList<ChangeRecord>> QueryAsync(string sql, (string Name, object Value)[] parameters, CancellationToken cancellationToken) =>
        SqliteBusy.RetryAsync<IReadOnlyList<ChangeRecord>>(_path, async ct =>
        {
            await using var connection = await OpenConnectionAsync(ct);
            await using var command = new SqliteCommand(sql, connection);
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            var result = new List<ChangeRecord>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                result.Add(Read(reader));
            }

            return result;
        }, cancellationToken);

    /// <summary>A row of <see cref="Columns"/> followed by the part of the script read.</summary>
    private static ChangeRecord Read(SqliteDataReader reader)
    {
        var sizeBytes = reader.GetInt64(17);
        var script = reader.GetString(18);
        return new ChangeRecord
        {
            Id = reader.GetInt64(0),
            Environment = reader.GetString(1),
            SystemIdentifier = reader.GetString(2),
            Database = reader.GetString(3),
            Host = reader.GetString(4),
            Port = reader.GetInt32(5),
            ScriptSha256 = reader.GetString(6),
            Verdict = Enum.Parse<Verdict>(reader.GetString(7)),
            Reasons = JsonSerializer.Deserialize<List<string>>(reader.GetString(8), Json) ?? [],
            Impact = JsonSerializer.Deserialize<List<StatementImpact>>(reader.GetString(9), Json) ?? [],
            OsUser = reader.GetString(10),
            StartedAt = DateTimeOffset.Parse(reader.GetString(11), CultureInfo.InvariantCulture),
            Duration = reader.IsDBNull(12) ? null : TimeSpan.FromMilliseconds(reader.GetInt64(12)),
            Outcome = Enum.Parse<ChangeOutcome>(reader.GetString(13)),
            Message = reader.IsDBNull(14) ? null : reader.GetString(14),
            ChangeUuid = reader.IsDBNull(15) ? Guid.Empty : Guid.Parse(reader.GetString(15)),
            UndoOf = reader.IsDBNull(16) ? null : reader.GetInt64(16),
            Script = script,
            ScriptBytes = sizeBytes,
            ScriptTruncated = Encoding.UTF8.GetByteCount(script) < sizeBytes,
        };
    }

    private static void Bind(SqliteCommand command, ChangeRecord change)
    {
        command.Parameters.AddWithValue("$environment", change.Environment);
        command.Parameters.AddWithValue("$system_identifier", change.SystemIdentifier);
        command.Parameters.AddWithValue("$database", change.Database);
        command.Parameters.AddWithValue("$host", change.Host);
        command.Parameters.AddWithValue("$port", change.Port);
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
        try
        {
            await connection.OpenAsync(cancellationToken);

            // busy_timeout: wait for another connection's lock instead of failing at once. journal_size_limit: after a
            // checkpoint, cut the WAL file back to 64 MiB, so that one large script does not leave a WAL file of its size.
            await using var pragmas = new SqliteCommand(
                $"PRAGMA busy_timeout = {SqliteBusy.BusyTimeoutMilliseconds.ToString(CultureInfo.InvariantCulture)}; PRAGMA journal_size_limit = 67108864", connection);
            await pragmas.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
