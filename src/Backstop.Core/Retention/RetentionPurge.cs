using Backstop.Core.RecycleBin;
using Backstop.Postgres;
using Npgsql;

namespace Backstop.Core.Retention;

/// <summary>
/// Removes before-images and recycle-bin tables older than the retention (30 days by default, per environment).
/// A change whose images are purged can no longer be undone; its row in the change log goes with them.
/// </summary>
public static class RetentionPurge
{
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromDays(30);

    public sealed record Result(int Changes, int ImageTables, int TrashTables, long Bytes);

    public static async Task<Result> PurgeAsync(NpgsqlConnection connection, TimeSpan olderThan, CancellationToken cancellationToken)
    {
        var (trashed, trashBytes) = await TrashBin.PurgeAsync(connection, olderThan, cancellationToken);
        if (!await ExistsAsync(connection, cancellationToken))
        {
            return new Result(0, 0, trashed.Count, trashBytes);
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var images = new List<string>();
        var changes = new List<Guid>();
        await using (var find = new NpgsqlCommand(
            """
            SELECT c.change_id, array(SELECT ct.image_table FROM backstop.change_tables ct WHERE ct.change_id = c.change_id
                                      UNION ALL SELECT dc.image_table FROM backstop.dropped_columns dc WHERE dc.change_id = c.change_id)
            FROM backstop.changes c
            WHERE c.committed_at < now() - @age AND NOT EXISTS (SELECT 1 FROM backstop.trash t WHERE t.change_id = c.change_id)
            """, connection))
        {
            find.Parameters.Add(new NpgsqlParameter("age", NpgsqlTypes.NpgsqlDbType.Interval) { Value = olderThan });
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                changes.Add(reader.GetGuid(0));
                images.AddRange(reader.GetFieldValue<string[]>(1));
            }
        }

        long bytes = 0;
        foreach (var image in images)
        {
            var name = PgIdentifier.Quote(Capture.CaptureSchema.Name, image);
            await using var size = new NpgsqlCommand("SELECT coalesce(pg_total_relation_size(to_regclass(@name)), 0)", connection);
            size.Parameters.AddWithValue("name", name);
            bytes += (long)(await size.ExecuteScalarAsync(cancellationToken))!;
            await using var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS {name}", connection);
            await drop.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var staged = new NpgsqlCommand("SELECT to_regclass('backstop.guard_rows') IS NOT NULL", connection))
        {
            if (await staged.ExecuteScalarAsync(cancellationToken) is true)
            {
                // Images of persistent capture not yet made into tables (capture migration 0006).
                await using var unstage = new NpgsqlCommand("DELETE FROM backstop.guard_rows WHERE change_id = ANY(@ids)", connection);
                unstage.Parameters.AddWithValue("ids", changes.ToArray());
                await unstage.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await using (var forget = new NpgsqlCommand("DELETE FROM backstop.changes WHERE change_id = ANY(@ids)", connection))
        {
            forget.Parameters.AddWithValue("ids", changes.ToArray());
            await forget.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new Result(changes.Count, images.Count, trashed.Count, bytes + trashBytes);
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT to_regclass('backstop.changes') IS NOT NULL", connection);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }
}
