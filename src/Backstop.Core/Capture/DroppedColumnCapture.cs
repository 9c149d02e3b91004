using Backstop.Core.RecycleBin;
using Backstop.Postgres;
using Npgsql;

namespace Backstop.Core.Capture;

/// <summary>
/// Before an ALTER TABLE … DROP COLUMN: copies each dropped column's values, by primary key, and its definition, so
/// that undo can add it back. The table is locked first, as the ALTER would.
/// </summary>
internal static class DroppedColumnCapture
{
    private sealed record Facts(short Number, string Type, bool NotNull, string? Default, bool HasPrimaryKey, bool OwnsSequence, string[] Keys, uint TypeId);

    /// <param name="asText">keep the values as text: the column's type is about to be dropped with it (DROP TYPE … CASCADE),
    /// and the type's definition is kept too, so that undo can create it again.</param>
    /// <param name="rewritten">the column stays, with a new type (ALTER COLUMN … TYPE … USING): undo sets its type and values back.</param>
    public static async Task CaptureAsync(NpgsqlConnection connection, Guid changeId, Sql.Classification.RelationName target, IReadOnlyList<string> columns, CancellationToken cancellationToken,
        bool asText = false, bool rewritten = false)
    {
        var table = PgIdentifier.Quote(target.Schema, target.Name);
        uint relationId;
        await using (var lockTable = new NpgsqlCommand($"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE", connection))
        {
            await lockTable.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var resolve = new NpgsqlCommand("SELECT to_regclass(@table)::oid", connection))
        {
            resolve.Parameters.AddWithValue("table", table);
            relationId = (uint)(await resolve.ExecuteScalarAsync(cancellationToken))!;
        }

        foreach (var column in columns)
        {
            // The type and default are replayed by undo: read them with every name qualified.
            var facts = await CatalogText.ReadQualifiedAsync(connection, () => DescribeAsync(connection, relationId, column, cancellationToken), cancellationToken);
            if (facts is null)
            {
                continue; // DROP COLUMN IF EXISTS of a missing column, or PostgreSQL's own error follows
            }

            // Without a primary key, rows that differ only in the dropped column could not be told apart on the way
            // back; a serial or identity column's sequence is dropped with it. Refuse rather than keep half of it.
            if (!facts.HasPrimaryKey)
            {
                throw new RecycleBinException(
                    $"{target} has no primary key, so the values of column {column} could not be put back on the right rows; nothing was dropped. Add a primary key first, or drop the column outside Backstop if you mean it");
            }

            if (facts.OwnsSequence)
            {
                throw new RecycleBinException(
                    $"column {column} of {target} owns a sequence (serial or identity), which PostgreSQL drops with it and undo could not bring back; nothing was dropped. Drop it outside Backstop if you mean it");
            }

            var image = $"col_{changeId:N}_{relationId}_{facts.Number}";
            var kept = asText ? $"{PgIdentifier.Quote(column)}::text AS {PgIdentifier.Quote(column)}" : PgIdentifier.Quote(column);
            var selected = string.Join(", ", facts.Keys.Select(PgIdentifier.Quote).Append(kept));
            var definition = asText ? await TypeDefinition.ReadAsync(connection, facts.TypeId, cancellationToken) : null;
            await using var copy = new NpgsqlCommand(
                $"CREATE TABLE {PgIdentifier.Quote(CaptureSchema.Name, image)} AS SELECT {selected} FROM {table}; " +
                "INSERT INTO backstop.dropped_columns (change_id, relid, column_name, column_type, not_null, default_expression, image_table, key_columns, rewritten, type_definition) " +
                "VALUES (@change, @relid, @column, @type, @notnull, @default, @image, @keys, @rewritten, @definition)", connection);
            copy.Parameters.AddWithValue("rewritten", rewritten);
            copy.Parameters.AddWithValue("definition", (object?)definition ?? DBNull.Value);
            copy.Parameters.AddWithValue("change", changeId);
            copy.Parameters.Add(new NpgsqlParameter("relid", NpgsqlTypes.NpgsqlDbType.Oid) { Value = relationId });
            copy.Parameters.AddWithValue("column", column);
            copy.Parameters.AddWithValue("type", facts.Type);
            copy.Parameters.AddWithValue("notnull", facts.NotNull);
            copy.Parameters.AddWithValue("default", (object?)facts.Default ?? DBNull.Value);
            copy.Parameters.AddWithValue("image", image);
            copy.Parameters.AddWithValue("keys", facts.Keys);
            await copy.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async Task<Facts?> DescribeAsync(NpgsqlConnection connection, uint relationId, string column, CancellationToken cancellationToken)
    {
        await using var describe = new NpgsqlCommand(
            """
            SELECT a.attnum, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
                   EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary),
                   a.attidentity <> '' OR EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.refobjid = a.attrelid AND dep.refobjsubid = a.attnum
                                                  AND dep.classid = 'pg_class'::regclass AND dep.deptype IN ('a', 'i')),
                   coalesce((SELECT array_agg(k.attname ORDER BY x.ordinality) FROM pg_index i CROSS JOIN unnest(i.indkey) WITH ORDINALITY x(attnum, ordinality)
                             JOIN pg_attribute k ON k.attrelid = a.attrelid AND k.attnum = x.attnum WHERE i.indrelid = a.attrelid AND i.indisprimary), '{}'),
                   a.atttypid
            FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid = @relid AND a.attname = @column AND NOT a.attisdropped
            """, connection);
        describe.Parameters.Add(new NpgsqlParameter("relid", NpgsqlTypes.NpgsqlDbType.Oid) { Value = relationId });
        describe.Parameters.AddWithValue("column", column);
        await using var reader = await describe.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new Facts(reader.GetInt16(0), reader.GetString(1), reader.GetBoolean(2), reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.GetBoolean(4), reader.GetBoolean(5), reader.GetFieldValue<string[]>(6), reader.GetFieldValue<uint>(7));
    }
}
