using System.Runtime.CompilerServices;
using Backstop.Core.State;
using Microsoft.Data.Sqlite;

namespace Backstop.Core.Audit;

/// <summary>
/// The audit log in the SQLite state file. Every append is one BEGIN IMMEDIATE transaction (<see cref="SqliteStateFile.WriteAsync"/>):
/// the write lock is taken before the last entry is read, so two commands appending at once are numbered one after the
/// other, never both with the same number.
/// </summary>
internal sealed class SqliteAuditLog(SqliteStateFile file, TimeProvider clock) : IAuditLog
{
    public string Where => file.Path;

    public async Task<AuditEntry> AppendAsync(AuditRecord what, CancellationToken cancellationToken) =>
        (await AppendAllAsync([what], cancellationToken))[0];

    public Task<IReadOnlyList<AuditEntry>> AppendAllAsync(IReadOnlyList<AuditRecord> what, CancellationToken cancellationToken) =>
        file.WriteAsync<IReadOnlyList<AuditEntry>>(async (connection, ct) =>
        {
            (long, byte[])? last = null;
            await using (var head = new SqliteCommand("SELECT seq, leaf_hash FROM audit_entries ORDER BY seq DESC LIMIT 1", connection))
            await using (var reader = await head.ExecuteReaderAsync(ct))
            {
                if (await reader.ReadAsync(ct))
                {
                    last = (reader.GetInt64(0), (byte[])reader.GetValue(1));
                }
            }

            var entries = AuditChain.Extend(last, clock.GetUtcNow(), what);
            await using var insert = new SqliteCommand("INSERT INTO audit_entries (seq, at, actor, entry, leaf_hash) VALUES ($seq, $at, $actor, $entry, $leaf_hash)", connection);
            var parameters = new[] { "$seq", "$at", "$actor", "$entry", "$leaf_hash" }.Select(name => insert.Parameters.Add(new SqliteParameter { ParameterName = name })).ToArray();
            foreach (var (entry, stored) in entries)
            {
                parameters[0].Value = stored.Seq;
                parameters[1].Value = Time(entry.At);
                parameters[2].Value = entry.Actor;
                parameters[3].Value = stored.Json;
                parameters[4].Value = stored.LeafHash;
                await insert.ExecuteNonQueryAsync(ct);
            }

            return entries.Select(e => e.Entry).ToList();
        }, cancellationToken);

    public Task<IReadOnlyList<AuditEntry>> ListAsync(DateTimeOffset? since, string? actor, int limit, CancellationToken cancellationToken) =>
        file.ReadAsync<IReadOnlyList<AuditEntry>>(async (connection, ct) =>
        {
            await using var command = new SqliteCommand(
                "SELECT entry FROM audit_entries WHERE ($since IS NULL OR at >= $since) AND ($actor IS NULL OR actor = $actor) ORDER BY seq DESC LIMIT $limit", connection);
            command.Parameters.AddWithValue("$since", since is { } s ? Time(s) : DBNull.Value);
            command.Parameters.AddWithValue("$actor", (object?)actor ?? DBNull.Value);
            command.Parameters.AddWithValue("$limit", limit);
            var entries = new List<AuditEntry>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                entries.Add(AuditEntry.Parse(reader.GetString(0)));
            }

            return entries;
        }, cancellationToken);

    public Task<StoredAuditEntry?> GetAsync(long seq, CancellationToken cancellationToken) =>
        file.ReadAsync(async (connection, ct) =>
        {
            await using var command = new SqliteCommand("SELECT seq, entry, leaf_hash FROM audit_entries WHERE seq = $seq", connection);
            command.Parameters.AddWithValue("$seq", seq);
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? Stored(reader) : null;
        }, cancellationToken);

    public async IAsyncEnumerable<StoredAuditEntry> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // One statement on one connection: in WAL mode it reads one snapshot, however long the export takes, and does
        // not hold up writers.
        await using var connection = await file.OpenConnectionAsync(cancellationToken);
        await using var command = new SqliteCommand("SELECT seq, entry, leaf_hash FROM audit_entries ORDER BY seq", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return Stored(reader);
        }
    }

    public Task<IReadOnlyList<byte[]>> LeafHashesAsync(long treeSize, CancellationToken cancellationToken) =>
        file.ReadAsync<IReadOnlyList<byte[]>>(async (connection, ct) =>
            (await ReadLeavesAsync(connection, treeSize, ct)).Select(l => l.LeafHash).ToList(), cancellationToken);

    public Task<AuditCheckpoint?> CheckpointAsync(AuditSigningKey key, CancellationToken cancellationToken) =>
        file.WriteAsync(async (connection, ct) =>
        {
            var latest = await ReadCheckpointsAsync(connection, latestOnly: true, ct);
            var (size, root) = AuditChain.Head(await ReadLeavesAsync(connection, long.MaxValue, ct), Where);
            if (size == 0 || (latest.Count == 1 && latest[0].TreeSize == size))
            {
                return latest.Count == 1 ? latest[0] : null;
            }

            var checkpoint = key.Sign(size, root, clock.GetUtcNow());
            await using var insert = new SqliteCommand(
                "INSERT INTO audit_checkpoints (tree_size, root_hash, at, signature, key_id) VALUES ($tree_size, $root_hash, $at, $signature, $key_id)", connection);
            insert.Parameters.AddWithValue("$tree_size", checkpoint.TreeSize);
            insert.Parameters.AddWithValue("$root_hash", checkpoint.RootHash);
            insert.Parameters.AddWithValue("$at", Time(checkpoint.At));
            insert.Parameters.AddWithValue("$signature", checkpoint.Signature);
            insert.Parameters.AddWithValue("$key_id", checkpoint.KeyId);
            await insert.ExecuteNonQueryAsync(ct);
            return checkpoint;
        }, cancellationToken);

    public async Task<AuditCheckpoint?> LatestCheckpointAsync(CancellationToken cancellationToken) =>
        (await file.ReadAsync((connection, ct) => ReadCheckpointsAsync(connection, latestOnly: true, ct), cancellationToken)).SingleOrDefault();

    public Task<IReadOnlyList<AuditCheckpoint>> CheckpointsAsync(CancellationToken cancellationToken) =>
        file.ReadAsync((connection, ct) => ReadCheckpointsAsync(connection, latestOnly: false, ct), cancellationToken);

    private static async Task<List<(long Seq, byte[] LeafHash)>> ReadLeavesAsync(SqliteConnection connection, long treeSize, CancellationToken cancellationToken)
    {
        await using var command = new SqliteCommand("SELECT seq, leaf_hash FROM audit_entries WHERE seq <= $size ORDER BY seq", connection);
        command.Parameters.AddWithValue("$size", treeSize);
        var leaves = new List<(long, byte[])>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            leaves.Add((reader.GetInt64(0), (byte[])reader.GetValue(1)));
        }

        return leaves;
    }

    private static async Task<IReadOnlyList<AuditCheckpoint>> ReadCheckpointsAsync(SqliteConnection connection, bool latestOnly, CancellationToken cancellationToken)
    {
        await using var command = new SqliteCommand(
            "SELECT tree_size, root_hash, at, signature, key_id FROM audit_checkpoints ORDER BY tree_size" + (latestOnly ? " DESC LIMIT 1" : ""), connection);
        var checkpoints = new List<AuditCheckpoint>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            checkpoints.Add(new AuditCheckpoint
            {
                TreeSize = reader.GetInt64(0),
                RootHash = reader.GetString(1),
                At = AuditTimeJsonConverter.Parse(reader.GetString(2)),
                Signature = reader.GetString(3),
                KeyId = reader.GetString(4),
            });
        }

        return checkpoints;
    }

    private static StoredAuditEntry Stored(SqliteDataReader reader) => new(reader.GetInt64(0), reader.GetString(1), (byte[])reader.GetValue(2));

    private static string Time(DateTimeOffset at) => AuditTimeJsonConverter.Text(AuditEntryJson.Microseconds(at));
}
