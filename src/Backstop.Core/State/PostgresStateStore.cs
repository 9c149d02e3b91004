using System.Data;
using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Backstop.Core.State;

/// <summary>
/// The change record in a PostgreSQL database (<see cref="PostgresStateDatabase"/>), as <see cref="SqliteStateStore"/>
/// keeps it in a file, for a team whose machines share one record. Ids come from the identity column of
/// <c>changes</c>, so two processes adding at once never get the same one; an update is one statement on one row, so
/// one that settles a change still running never overwrites an outcome the change recorded meanwhile.
/// </summary>
public sealed class PostgresStateStore(PostgresStateDatabase database) : IStateStore
{
    /// <summary><see cref="ChangeRows.Columns"/>, then the start (an instant, and the offset it was recorded with) and the UUID.</summary>
    private const string Columns = ChangeRows.Columns + ", c.started_at, c.started_offset_minutes, c.change_uuid";

    private const string Changes = "backstop_state.changes c JOIN backstop_state.scripts s ON s.sha256 = c.script_sha256";

    public Task<long> AddAsync(ChangeRecord change, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, ct) =>
        {
            // A script added at the same time by another process: this INSERT waits for that one's transaction, then
            // finds the row and does nothing.
            await using (var script = new NpgsqlCommand(
                "INSERT INTO backstop_state.scripts (sha256, size_bytes, head, text) VALUES (@sha256, @size_bytes, @head, @text) ON CONFLICT (sha256) DO NOTHING", connection))
            {
                script.Parameters.AddWithValue("sha256", change.ScriptSha256);
                script.Parameters.AddWithValue("size_bytes", (long)Encoding.UTF8.GetByteCount(change.Script));
                script.Parameters.AddWithValue("head", ChangeRows.Head(change.Script));
                script.Parameters.AddWithValue("text", change.Script);
                await script.ExecuteNonQueryAsync(ct);
            }

            var values = ChangeRows.IdentityValues(change).Concat(ChangeRows.OutcomeValues(change)).ToList();
            await using var command = new NpgsqlCommand(
                $"""
                INSERT INTO backstop_state.changes ({string.Join(", ", values.Select(v => v.Column))}, started_at, started_offset_minutes, change_uuid)
                VALUES ({string.Join(", ", values.Select(v => "@" + v.Column))}, @started_at, @started_offset_minutes, @change_uuid)
                RETURNING id
                """, connection);
            Bind(command, values);
            command.Parameters.AddWithValue("started_at", NpgsqlDbType.TimestampTz, change.StartedAt.UtcDateTime);
            command.Parameters.AddWithValue("started_offset_minutes", (int)change.StartedAt.Offset.TotalMinutes);
            command.Parameters.AddWithValue("change_uuid", change.ChangeUuid);
            return (long)(await command.ExecuteScalarAsync(ct))!;
        }, cancellationToken);

    public Task UpdateAsync(ChangeRecord change, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, ct) => WriteOutcomeAsync(connection, change, expected: null, ct), cancellationToken);

    public Task<bool> SettleRunningAsync(ChangeRecord change, CancellationToken cancellationToken) =>
        UpdateIfAsync(change, ChangeOutcome.Running, cancellationToken);

    public async Task<bool> UpdateIfAsync(ChangeRecord change, ChangeOutcome expected, CancellationToken cancellationToken) =>
        await database.WriteAsync((connection, ct) => WriteOutcomeAsync(connection, change, expected, ct), cancellationToken) == 1;

    public async Task<bool> DiscardRunningAsync(long id, CancellationToken cancellationToken) =>
        await database.WriteAsync(async (connection, ct) =>
        {
            await using var discard = new NpgsqlCommand("DELETE FROM backstop_state.changes WHERE id = @id AND outcome = @running", connection);
            discard.Parameters.AddWithValue("id", id);
            discard.Parameters.AddWithValue("running", StoredEnum.Name(ChangeOutcome.Running, ChangeOutcome.Unknown));
            return await discard.ExecuteNonQueryAsync(ct);
        }, cancellationToken) == 1;

    /// <summary>The change with the first <see cref="StateSchema.HeadCharacters"/> characters of its script.</summary>
    public async Task<ChangeRecord?> GetAsync(long id, CancellationToken cancellationToken)
    {
        var found = await QueryAsync($"SELECT {Columns}, s.head FROM {Changes} WHERE c.id = @id", [("id", id)], cancellationToken);
        return found.Count == 0 ? null : found[0];
    }

    /// <summary>Newest first, each with only the first <see cref="ChangeRows.ListedCharacters"/> characters of its script.</summary>
    public Task<IReadOnlyList<ChangeRecord>> ListAsync(string? environment, int limit, CancellationToken cancellationToken)
    {
        var select = $"SELECT {Columns}, substr(s.head, 1, {ChangeRows.ListedCharacters.ToString(CultureInfo.InvariantCulture)}) FROM {Changes}";
        return environment is null
            ? QueryAsync($"{select} ORDER BY c.id DESC LIMIT @limit", [("limit", limit)], cancellationToken)
            : QueryAsync($"{select} WHERE c.environment = @environment ORDER BY c.id DESC LIMIT @limit", [("environment", environment), ("limit", limit)], cancellationToken);
    }

    public Task<IReadOnlyList<ChangeRecord>> FindCommittedAsync(string scriptSha256, DateTimeOffset since, CancellationToken cancellationToken) =>
        QueryAsync(
            $"SELECT {Columns}, substr(s.head, 1, {ChangeRows.ListedCharacters.ToString(CultureInfo.InvariantCulture)}) FROM {Changes} " +
            "WHERE c.script_sha256 = @sha AND c.outcome = @outcome AND c.started_at >= @since ORDER BY c.id DESC LIMIT 100",
            [("sha", scriptSha256), ("outcome", StoredEnum.Name(ChangeOutcome.Committed, ChangeOutcome.Unknown)), ("since", since.ToUniversalTime())],
            cancellationToken);

    public Task<long?> FindIdAsync(Guid changeUuid, CancellationToken cancellationToken) =>
        database.ReadAsync(async (connection, ct) =>
        {
            await using var command = new NpgsqlCommand("SELECT id FROM backstop_state.changes WHERE change_uuid = @uuid ORDER BY id LIMIT 1", connection);
            command.Parameters.AddWithValue("uuid", changeUuid);
            return await command.ExecuteScalarAsync(ct) is long id ? id : (long?)null;
        }, cancellationToken);

    /// <summary>
    /// Writes the whole script of a change to <paramref name="destination"/>, streamed from the server in pieces
    /// (sequential access), so a script of any size costs no more memory than one piece.
    /// </summary>
    /// <returns>false if there is no such change.</returns>
    public Task<bool> CopyScriptAsync(long id, TextWriter destination, CancellationToken cancellationToken) =>
        database.ReadAsync(async (connection, ct) =>
        {
            await using var command = new NpgsqlCommand("SELECT s.text FROM backstop_state.changes c JOIN backstop_state.scripts s ON s.sha256 = c.script_sha256 WHERE c.id = @id", connection);
            command.Parameters.AddWithValue("id", id);
            await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
            if (!await reader.ReadAsync(ct))
            {
                return false;
            }

            using var text = await reader.GetTextReaderAsync(0, ct);
            await ChangeRows.CopyScriptAsync(text, destination, ct);
            return true;
        }, cancellationToken);

    /// <summary>One statement: PostgreSQL locks the row, and a concurrent update of it waits and then finds the row as that one left it.</summary>
    /// <param name="expected">only while the change is still recorded with this outcome; null: whatever it is.</param>
    private static async Task<int> WriteOutcomeAsync(NpgsqlConnection connection, ChangeRecord change, ChangeOutcome? expected, CancellationToken cancellationToken)
    {
        var values = ChangeRows.OutcomeValues(change).ToList();
        await using var command = new NpgsqlCommand(
            $"UPDATE backstop_state.changes SET {string.Join(", ", values.Select(v => $"{v.Column} = @{v.Column}"))} WHERE id = @id" + (expected is null ? "" : " AND outcome = @expected"),
            connection);
        Bind(command, values);
        command.Parameters.AddWithValue("id", change.Id);
        if (expected is { } outcome)
        {
            command.Parameters.AddWithValue("expected", outcome.ToString());
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void Bind(NpgsqlCommand command, IEnumerable<(string Column, object Value)> values)
    {
        foreach (var (column, value) in values)
        {
            // DBNull has no type of its own; the column's is the one PostgreSQL infers from the statement.
            command.Parameters.Add(new NpgsqlParameter(column, value));
        }
    }

    private Task<IReadOnlyList<ChangeRecord>> QueryAsync(string sql, (string Name, object Value)[] parameters, CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<ChangeRecord>>(async (connection, ct) =>
        {
            await using var command = new NpgsqlCommand(sql, connection);
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            var result = new List<ChangeRecord>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var offset = TimeSpan.FromMinutes(reader.GetInt32(17));
                result.Add(ChangeRows.Read(
                    reader,
                    script: reader.GetString(19),
                    startedAt: new DateTimeOffset(reader.GetFieldValue<DateTime>(16)).ToOffset(offset),
                    changeUuid: reader.IsDBNull(18) ? Guid.Empty : reader.GetGuid(18)));
            }

            return result;
        }, cancellationToken);
}
