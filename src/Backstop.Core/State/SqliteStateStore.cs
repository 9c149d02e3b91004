using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Backstop.Core.State;

/// <summary>
/// The change record in the SQLite state file (<see cref="SqliteStateFile"/>). A script is kept once, by its SHA-256,
/// and read back only as far as a command needs (<see cref="StateSchema"/>).
/// </summary>
public sealed class SqliteStateStore(SqliteStateFile file) : IStateStore
{
    /// <summary><see cref="ChangeRows.Columns"/>, then what this store keeps its own way: the start as ISO 8601 text, the UUID as text.</summary>
    private const string Columns = ChangeRows.Columns + ", c.started_at, c.change_uuid";

    private const string Changes = "changes c JOIN scripts s ON s.sha256 = c.script_sha256";

    /// <exception cref="Configuration.ConfigException">the file was written by a newer Backstop.</exception>
    public static Task<SqliteStateStore> OpenAsync(string path, CancellationToken cancellationToken) => OpenAsync(path, null, cancellationToken);

    /// <param name="notice">told when a file of an earlier version was migrated.</param>
    /// <exception cref="Configuration.ConfigException">the file was written by a newer Backstop.</exception>
    public static async Task<SqliteStateStore> OpenAsync(string path, Action<string>? notice, CancellationToken cancellationToken) =>
        new(await SqliteStateFile.OpenAsync(path, notice, cancellationToken));

    public Task<long> AddAsync(ChangeRecord change, CancellationToken cancellationToken) =>
        file.WriteAsync(async (connection, ct) =>
        {
            await using (var script = new SqliteCommand(
                "INSERT INTO scripts (sha256, size_bytes, head, text) VALUES ($sha256, $size_bytes, $head, $text) ON CONFLICT (sha256) DO NOTHING", connection))
            {
                script.Parameters.AddWithValue("$sha256", change.ScriptSha256);
                script.Parameters.AddWithValue("$size_bytes", Encoding.UTF8.GetByteCount(change.Script));
                script.Parameters.AddWithValue("$head", ChangeRows.Head(change.Script));
                script.Parameters.AddWithValue("$text", change.Script);
                await script.ExecuteNonQueryAsync(ct);
            }

            var values = ChangeRows.IdentityValues(change).Concat(ChangeRows.OutcomeValues(change)).ToList();
            await using var command = new SqliteCommand(
                $"""
                INSERT INTO changes ({string.Join(", ", values.Select(v => v.Column))}, started_at, change_uuid)
                VALUES ({string.Join(", ", values.Select(v => "$" + v.Column))}, $started_at, $change_uuid)
                RETURNING id
                """, connection);
            Bind(command, values);
            command.Parameters.AddWithValue("$started_at", change.StartedAt.ToString("O", CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("$change_uuid", change.ChangeUuid.ToString());
            return (long)(await command.ExecuteScalarAsync(ct))!;
        }, cancellationToken);

    public Task UpdateAsync(ChangeRecord change, CancellationToken cancellationToken) =>
        file.WriteAsync((connection, ct) => WriteOutcomeAsync(connection, change, expected: null, ct), cancellationToken);

    public Task<bool> SettleRunningAsync(ChangeRecord change, CancellationToken cancellationToken) =>
        UpdateIfAsync(change, ChangeOutcome.Running, cancellationToken);

    public async Task<bool> UpdateIfAsync(ChangeRecord change, ChangeOutcome expected, CancellationToken cancellationToken) =>
        await file.WriteAsync((connection, ct) => WriteOutcomeAsync(connection, change, expected, ct), cancellationToken) == 1;

    public async Task<bool> DiscardRunningAsync(long id, CancellationToken cancellationToken) =>
        await file.WriteAsync(async (connection, ct) =>
        {
            await using var discard = new SqliteCommand("DELETE FROM changes WHERE id = $id AND outcome = $running", connection);
            discard.Parameters.AddWithValue("$id", id);
            discard.Parameters.AddWithValue("$running", StoredEnum.Name(ChangeOutcome.Running, ChangeOutcome.Unknown));
            return await discard.ExecuteNonQueryAsync(ct);
        }, cancellationToken) == 1;

    /// <summary>The change with the first <see cref="StateSchema.HeadCharacters"/> characters of its script.</summary>
    public async Task<ChangeRecord?> GetAsync(long id, CancellationToken cancellationToken)
    {
        var found = await QueryAsync($"SELECT {Columns}, s.head FROM {Changes} WHERE c.id = $id", [("$id", id)], cancellationToken);
        return found.Count == 0 ? null : found[0];
    }

    /// <summary>Newest first, each with only the first <see cref="ChangeRows.ListedCharacters"/> characters of its script.</summary>
    public Task<IReadOnlyList<ChangeRecord>> ListAsync(string? environment, int limit, CancellationToken cancellationToken)
    {
        var select = $"SELECT {Columns}, substr(s.head, 1, {ChangeRows.ListedCharacters.ToString(CultureInfo.InvariantCulture)}) FROM {Changes}";
        return environment is null
            ? QueryAsync($"{select} ORDER BY c.id DESC LIMIT $limit", [("$limit", limit)], cancellationToken)
            : QueryAsync($"{select} WHERE c.environment = $environment ORDER BY c.id DESC LIMIT $limit", [("$environment", environment), ("$limit", limit)], cancellationToken);
    }

    public Task<IReadOnlyList<ChangeRecord>> FindCommittedAsync(string scriptSha256, DateTimeOffset since, CancellationToken cancellationToken) =>
        QueryAsync(
            $"SELECT {Columns}, substr(s.head, 1, {ChangeRows.ListedCharacters.ToString(CultureInfo.InvariantCulture)}) FROM {Changes} " +
            "WHERE c.script_sha256 = $sha AND c.outcome = $outcome AND c.started_at >= $since ORDER BY c.id DESC LIMIT 100",
            [("$sha", scriptSha256), ("$outcome", StoredEnum.Name(ChangeOutcome.Committed, ChangeOutcome.Unknown)), ("$since", since.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture))],
            cancellationToken);

    public Task<long?> FindIdAsync(Guid changeUuid, CancellationToken cancellationToken) =>
        file.ReadAsync(async (connection, ct) =>
        {
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
        file.ReadAsync(async (connection, ct) =>
        {
            await using var find = new SqliteCommand("SELECT s.rowid FROM changes c JOIN scripts s ON s.sha256 = c.script_sha256 WHERE c.id = $id", connection);
            find.Parameters.AddWithValue("$id", id);
            if (await find.ExecuteScalarAsync(ct) is not long rowid)
            {
                return false;
            }

            await using var blob = new SqliteBlob(connection, "scripts", "text", rowid, readOnly: true);
            using var reader = new StreamReader(blob, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
            await ChangeRows.CopyScriptAsync(reader, destination, ct);
            return true;
        }, cancellationToken);

    /// <param name="onlyRunning">only while the change is still recorded as running.</param>
    /// <param name="expected">only while the change is still recorded with this outcome; null: whatever it is.</param>
    private static async Task<int> WriteOutcomeAsync(SqliteConnection connection, ChangeRecord change, ChangeOutcome? expected, CancellationToken cancellationToken)
    {
        var values = ChangeRows.OutcomeValues(change).ToList();
        await using var command = new SqliteCommand(
            $"UPDATE changes SET {string.Join(", ", values.Select(v => $"{v.Column} = ${v.Column}"))} WHERE id = $id" + (expected is null ? "" : " AND outcome = $expected"), connection);
        Bind(command, values);
        command.Parameters.AddWithValue("$id", change.Id);
        command.Parameters.AddWithValue("$expected", expected?.ToString() ?? "");
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void Bind(SqliteCommand command, IEnumerable<(string Column, object Value)> values)
    {
        foreach (var (column, value) in values)
        {
            command.Parameters.AddWithValue("$" + column, value);
        }
    }

    private Task<IReadOnlyList<ChangeRecord>> QueryAsync(string sql, (string Name, object Value)[] parameters, CancellationToken cancellationToken) =>
        file.ReadAsync<IReadOnlyList<ChangeRecord>>(async (connection, ct) =>
        {
            await using var command = new SqliteCommand(sql, connection);
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            var result = new List<ChangeRecord>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                result.Add(ChangeRows.Read(
                    reader,
                    script: reader.GetString(18),
                    startedAt: DateTimeOffset.Parse(reader.GetString(16), CultureInfo.InvariantCulture),
                    changeUuid: reader.IsDBNull(17) ? Guid.Empty : Guid.Parse(reader.GetString(17))));
            }

            return result;
        }, cancellationToken);
}
