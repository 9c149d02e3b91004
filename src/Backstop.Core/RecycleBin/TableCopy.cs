using System.Text.Json;
using Backstop.Core.Preview;
using Backstop.Postgres;
using Npgsql;

namespace Backstop.Core.RecycleBin;

/// <summary>
/// A table that a function, a DO block or a CASCADE is about to drop cannot be moved aside (the statement must still
/// find it), so the recycle bin keeps a copy made just before the statement runs: its columns, rows, indexes and CHECK
/// constraints, and the foreign keys of other tables that pointed at it (re-created on restore). Defaults, identity and
/// generated expressions become plain columns, since they may depend on objects the statement drops with the table.
/// </summary>
internal static class TableCopy
{
    public static async Task KeepAsync(NpgsqlConnection connection, Guid changeId, ObservedEffect dropped, CancellationToken cancellationToken)
    {
        var source = PgIdentifier.Quote(dropped.Schema, dropped.Name);
        await using (var lockTable = new NpgsqlCommand($"LOCK TABLE {source} IN ACCESS EXCLUSIVE MODE", connection))
        {
            await lockTable.ExecuteNonQueryAsync(cancellationToken);
        }

        var foreignKeys = await TrashBin.ForeignKeysIntoAsync(connection, dropped.RelationId, [dropped.RelationId], cancellationToken);
        var trashId = Guid.CreateVersion7().ToString("N")[..16];
        var trashName = $"{TrashBin.Schema}_{trashId}";
        var copy = PgIdentifier.Quote(trashName, dropped.Name);
        var sql = $"CREATE SCHEMA {PgIdentifier.Quote(trashName)}; "
            + $"CREATE TABLE {copy} (LIKE {source} INCLUDING ALL EXCLUDING DEFAULTS EXCLUDING IDENTITY EXCLUDING GENERATED); "
            + $"WITH copied AS (INSERT INTO {copy} SELECT * FROM {source} RETURNING 1) "
            + "INSERT INTO backstop.trash (trash_id, change_id, original_schema, original_name, trash_name, row_estimate, rows_estimated, foreign_keys) "
            + "SELECT @id, @change, @schema, @name, @trash, count(*), false, @fks::jsonb FROM copied";
        await using var keep = new NpgsqlCommand(sql, connection);
        keep.Parameters.AddWithValue("id", trashId);
        keep.Parameters.AddWithValue("change", changeId);
        keep.Parameters.AddWithValue("schema", dropped.Schema);
        keep.Parameters.AddWithValue("name", dropped.Name);
        keep.Parameters.AddWithValue("trash", trashName);
        keep.Parameters.AddWithValue("fks", JsonSerializer.Serialize(foreignKeys, TrashBin.Json));
        await keep.ExecuteNonQueryAsync(cancellationToken);
    }
}
