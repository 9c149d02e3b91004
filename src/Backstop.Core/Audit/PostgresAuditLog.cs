using System.Runtime.CompilerServices;
using Backstop.Core.State;
using Npgsql;
using NpgsqlTypes;

namespace Backstop.Core.Audit;

/// <summary>
/// The audit log in a PostgreSQL state database (schema <c>backstop_state</c>), shared by every Backstop process of a
/// team. Appends and checkpoints take one transaction-level advisory lock
/// (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS) before they read the last entry, so
/// concurrent appends from any number of processes queue up and form one gapless chain; the lock goes with the
/// transaction, whether it commits or not.
/// </summary>
internal sealed class PostgresAuditLog(PostgresStateDatabase database, TimeProvider clock) : IAuditLog
{
    /// <summary>Names the advisory lock, as <c>hashtext(name)</c>; the migrations' lock has another name.</summary>
    private const string LockName = "backstop audit log";

    public string Where => database.Url.ToString();

    public async Task<AuditEntry> AppendAsync(AuditRecord what, CancellationToken cancellationToken) =>
        (await AppendAllAsync([what], cancellationToken))[0];

    public Task<IReadOnlyList<AuditEntry>> AppendAllAsync(IReadOnlyList<AuditRecord> what, CancellationToken cancellationToken) =>
        database.WriteAsync<IReadOnlyList<AuditEntry>>(async (connection, ct) =>
        {
            await LockAsync(connection, ct);

            // A statement of its own, after the lock: under READ COMMITTED it takes a new snapshot, which holds every
            // entry the previous holder of the lock committed.
            (long, byte[])? last = null;
            await using (var head = new NpgsqlCommand("SELECT seq, leaf_hash FROM backstop_state.audit_entries ORDER BY seq DESC LIMIT 1", connection))
            await using (var reader = await head.ExecuteReaderAsync(ct))
            {
                if (await reader.ReadAsync(ct))
                {
                    last = (reader.GetInt64(0), reader.GetFieldValue<byte[]>(1));
                }
            }

            var entries = AuditChain.Extend(last, clock.GetUtcNow(), what);
            await using (var import = await connection.BeginBinaryImportAsync("COPY backstop_state.audit_entries (seq, at, actor, entry, leaf_hash) FROM STDIN (FORMAT BINARY)", ct))
            {
                foreach (var (entry, stored) in entries)
                {
                    await import.StartRowAsync(ct);
                    await import.WriteAsync(stored.Seq, NpgsqlDbType.Bigint, ct);
                    await import.WriteAsync(entry.At.UtcDateTime, NpgsqlDbType.TimestampTz, ct);
                    await import.WriteAsync(entry.Actor, NpgsqlDbType.Text, ct);
                    await import.WriteAsync(stored.Json, NpgsqlDbType.Text, ct);
                    await import.WriteAsync(stored.LeafHash, NpgsqlDbType.Bytea, ct);
                }

                await import.CompleteAsync(ct);
            }

            return entries.Select(e => e.Entry).ToList();
        }, cancellationToken);

    public Task<IReadOnlyList<AuditEntry>> ListAsync(DateTimeOffset? since, string? actor, int limit, CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<AuditEntry>>(async (connection, ct) =>
        {
            await using var command = new NpgsqlCommand(
                """
                SELECT entry FROM backstop_state.audit_entries
                WHERE (@since::timestamptz IS NULL OR at >= @since) AND (@actor::text IS NULL OR actor = @actor)
                ORDER BY seq DESC LIMIT @limit
                """, connection);
            command.Parameters.Add(new NpgsqlParameter("since", NpgsqlDbType.TimestampTz) { Value = since is { } s ? s.UtcDateTime : DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter("actor", NpgsqlDbType.Text) { Value = (object?)actor ?? DBNull.Value });
            command.Parameters.AddWithValue("limit", limit);
            var entries = new List<AuditEntry>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                entries.Add(AuditEntry.Parse(reader.GetString(0)));
            }

            return entries;
        }, cancellationToken);

    public Task<StoredAuditEntry?> GetAsync(long seq, CancellationToken cancellationToken) =>
        database.ReadAsync(async (connection, ct) =>
        {
            await using var command = new NpgsqlCommand("SELECT seq, entry, leaf_hash FROM backstop_state.audit_entries WHERE seq = @seq", connection);
            command.Parameters.AddWithValue("seq", seq);
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? Stored(reader) : null;
        }, cancellationToken);

    public async IAsyncEnumerable<StoredAuditEntry> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // One statement: one snapshot, its rows streamed as the server sends them.
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT seq, entry, leaf_hash FROM backstop_state.audit_entries ORDER BY seq", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return Stored(reader);
        }
    }

    public Task<IReadOnlyList<byte[]>> LeafHashesAsync(long treeSize, CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<byte[]>>(async (connection, ct) =>
            (await ReadLeavesAsync(connection, treeSize, ct)).Select(l => l.LeafHash).ToList(), cancellationToken);

    public Task<AuditCheckpoint?> CheckpointAsync(AuditSigningKey key, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, ct) =>
        {
            await LockAsync(connection, ct);
            var latest = await ReadCheckpointsAsync(connection, latestOnly: true, ct);
            var (size, root) = AuditChain.Head(await ReadLeavesAsync(connection, long.MaxValue, ct), Where);
            if (size == 0 || (latest.Count == 1 && latest[0].TreeSize == size))
            {
                return latest.Count == 1 ? latest[0] : null;
            }

            var checkpoint = key.Sign(size, root, clock.GetUtcNow());
            await using var insert = new NpgsqlCommand(
                "INSERT INTO backstop_state.audit_checkpoints (tree_size, root_hash, at, signature, key_id) VALUES (@tree_size, @root_hash, @at, @signature, @key_id)", connection);
            insert.Parameters.AddWithValue("tree_size", checkpoint.TreeSize);
            insert.Parameters.AddWithValue("root_hash", checkpoint.RootHash);
            insert.Parameters.AddWithValue("at", NpgsqlDbType.TimestampTz, checkpoint.At.UtcDateTime);
            insert.Parameters.AddWithValue("signature", checkpoint.Signature);
            insert.Parameters.AddWithValue("key_id", checkpoint.KeyId);
            await insert.ExecuteNonQueryAsync(ct);
            return (AuditCheckpoint?)checkpoint;
        }, cancellationToken);

    public async Task<AuditCheckpoint?> LatestCheckpointAsync(CancellationToken cancellationToken) =>
        (await database.ReadAsync((connection, ct) => ReadCheckpointsAsync(connection, latestOnly: true, ct), cancellationToken)).SingleOrDefault();

    public Task<IReadOnlyList<AuditCheckpoint>> CheckpointsAsync(CancellationToken cancellationToken) =>
        database.ReadAsync((connection, ct) => ReadCheckpointsAsync(connection, latestOnly: false, ct), cancellationToken);

    private static async Task LockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext(@name))", connection);
        command.Parameters.AddWithValue("name", LockName);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<List<(long Seq, byte[] LeafHash)>> ReadLeavesAsync(NpgsqlConnection connection, long treeSize, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT seq, leaf_hash FROM backstop_state.audit_entries WHERE seq <= @size ORDER BY seq", connection);
        command.Parameters.AddWithValue("size", treeSize);
        var leaves = new List<(long, byte[])>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            leaves.Add((reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)));
        }

        return leaves;
    }

    private static async Task<IReadOnlyList<AuditCheckpoint>> ReadCheckpointsAsync(NpgsqlConnection connection, bool latestOnly, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT tree_size, root_hash, at, signature, key_id FROM backstop_state.audit_checkpoints ORDER BY tree_size" + (latestOnly ? " DESC LIMIT 1" : ""), connection);
        var checkpoints = new List<AuditCheckpoint>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            checkpoints.Add(new AuditCheckpoint
            {
                TreeSize = reader.GetInt64(0),
                RootHash = reader.GetString(1),
                At = new DateTimeOffset(reader.GetFieldValue<DateTime>(2), TimeSpan.Zero),
                Signature = reader.GetString(3),
                KeyId = reader.GetString(4),
            });
        }

        return checkpoints;
    }

    private static StoredAuditEntry Stored(NpgsqlDataReader reader) => new(reader.GetInt64(0), reader.GetString(1), reader.GetFieldValue<byte[]>(2));
}
