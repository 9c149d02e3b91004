using System.Text.Json;
using Backstop.Core.Changes;
using Backstop.Postgres;
using Npgsql;

namespace Backstop.Core.RecycleBin;

/// <summary>The recycle bin's half for DROP SCHEMA: the schema is renamed into the bin whole.</summary>
internal static class SchemaTrash
{
    /// <summary>
    /// DROP SCHEMA … CASCADE of a schema with contents: the schema is renamed into the bin, taking every object in it
    /// along. Foreign keys from other schemas into it are recorded and dropped, as CASCADE would. Without CASCADE, or
    /// for an empty or missing schema, the statement runs as written.
    /// </summary>
    public static async Task<bool> TryMoveAsync(NpgsqlConnection connection, Guid changeId, AnalyzedStatement statement, IReadOnlyDictionary<uint, Preview.TableSize> sizes, CancellationToken cancellationToken)
    {
        if (!statement.Info.Cascade)
        {
            return false;
        }

        var schemas = new List<(uint Id, string Name, long Rows, uint[] Tables)>();
        foreach (var target in statement.Info.Targets)
        {
            await using var find = new NpgsqlCommand(
                """
                SELECT n.oid, n.nspname,
                       coalesce((SELECT sum(greatest(c.reltuples, 0)) FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind = 'r'), 0)::bigint,
                       array(SELECT c.oid FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p')),
                       EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid) OR EXISTS (SELECT 1 FROM pg_proc p WHERE p.pronamespace = n.oid)
                       OR EXISTS (SELECT 1 FROM pg_type t WHERE t.typnamespace = n.oid)
                FROM pg_namespace n WHERE n.nspname = @name
                """, connection);
            find.Parameters.AddWithValue("name", target.Name);
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken) || !reader.GetBoolean(4))
            {
                return false;
            }

            schemas.Add((reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetInt64(2), reader.GetFieldValue<uint[]>(3)));
        }

        var inside = schemas.SelectMany(s => s.Tables).ToArray();
        foreach (var schema in schemas)
        {
            var foreignKeys = new List<TrashForeignKey>();
            foreach (var table in schema.Tables)
            {
                foreignKeys.AddRange(await TrashBin.ForeignKeysIntoAsync(connection, table, inside, cancellationToken));
                var outsideViews = (await TrashBin.DependentViewsAsync(connection, table, cancellationToken)).Where(v => !v.StartsWith(schema.Name + ".", StringComparison.Ordinal)).ToList();
                if (outsideViews.Count > 0)
                {
                    throw new RecycleBinException(
                        $"views outside schema {schema.Name} depend on it ({string.Join(", ", outsideViews)}); the recycle bin keeps the schema, not the views on it, so nothing was dropped. Drop those views first");
                }
            }

            var trashId = Guid.CreateVersion7().ToString("N")[..16];
            var trashName = $"backstop_trash_{trashId}";
            var sql = string.Concat(foreignKeys.Select(fk => $"ALTER TABLE {PgIdentifier.Quote(fk.Schema, fk.Table)} DROP CONSTRAINT {PgIdentifier.Quote(fk.Name)}; "))
                + $"ALTER SCHEMA {PgIdentifier.Quote(schema.Name)} RENAME TO {PgIdentifier.Quote(trashName)}; "
                + "INSERT INTO backstop.trash (trash_id, change_id, original_schema, original_name, trash_name, row_estimate, rows_estimated, foreign_keys, kind) VALUES (@id, @change, @schema, '', @trash, @rows, @estimated, @fks::jsonb, 'schema')";
            await using var move = new NpgsqlCommand(sql, connection);
            move.Parameters.AddWithValue("id", trashId);
            move.Parameters.AddWithValue("change", changeId);
            move.Parameters.AddWithValue("schema", schema.Name);
            move.Parameters.AddWithValue("trash", trashName);
            var counted = schema.Tables.All(t => sizes.GetValueOrDefault(t) is { Rows: not null, Estimated: false });
            move.Parameters.AddWithValue("rows", counted ? schema.Tables.Sum(t => sizes.GetValueOrDefault(t)?.Rows ?? 0) : schema.Rows);
            move.Parameters.AddWithValue("estimated", !counted);
            move.Parameters.AddWithValue("fks", JsonSerializer.Serialize(foreignKeys, TrashBin.Json));
            await move.ExecuteNonQueryAsync(cancellationToken);
        }

        return true;
    }
}
