using Backstop.Postgres;
using Npgsql;

namespace Backstop.Core.Undo;

/// <summary>
/// Undo of ALTER TABLE … DROP COLUMN: adds the column back with its type, fills it from the values kept by key, then
/// restores its default and NOT NULL. The column comes back at the end of the table; indexes and constraints that
/// PostgreSQL dropped with it are not re-created.
/// </summary>
internal static class DroppedColumnRestore
{
    /// <returns>the statements, conflicts, and the tables whose every row the refill may update.</returns>
    public static async Task<(List<string> Statements, List<UndoConflict> Conflicts, List<string> Refilled)> PlanAsync(NpgsqlConnection connection, Guid changeId, CancellationToken cancellationToken)
    {
        var statements = new List<string>();
        var conflicts = new List<UndoConflict>();
        var refilled = new List<string>();
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('backstop.dropped_columns') IS NOT NULL", connection))
        {
            if (await exists.ExecuteScalarAsync(cancellationToken) is not true)
            {
                return (statements, conflicts, refilled);
            }
        }

        await using var command = new NpgsqlCommand(
            """
            SELECT n.nspname, c.relname, d.column_name, d.column_type, d.not_null, d.default_expression, d.image_table, d.key_columns,
                   EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = d.column_name AND NOT a.attisdropped),
                   d.rewritten, d.type_definition, to_regtype(d.column_type) IS NULL
            FROM backstop.dropped_columns d JOIN pg_class c ON c.oid = d.relid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE d.change_id = @id ORDER BY 1, 2, 3
            """, connection);
        command.Parameters.AddWithValue("id", changeId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var typesCreated = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var table = PgIdentifier.Quote(reader.GetString(0), reader.GetString(1));
            var column = PgIdentifier.Quote(reader.GetString(2));
            var rewritten = reader.GetBoolean(9);
            if (reader.GetBoolean(8) && !rewritten)
            {
                conflicts.Add(new UndoConflict($"{reader.GetString(0)}.{reader.GetString(1)}", reader.GetString(2), "a column of this name was added again after the change", null));
                continue;
            }

            var image = PgIdentifier.Quote(Capture.CaptureSchema.Name, reader.GetString(6));
            var match = string.Join(" AND ", reader.GetFieldValue<string[]>(7).Select(k => $"t.{PgIdentifier.Quote(k)} IS NOT DISTINCT FROM i.{PgIdentifier.Quote(k)}"));

            // The type and default are PostgreSQL's own text for them (format_type, pg_get_expr).
            refilled.Add($"{reader.GetString(0)}.{reader.GetString(1)}");

            // A type or domain that went with the column is created again first (its definition is the catalog's own text).
            if (!reader.IsDBNull(10) && reader.GetBoolean(11) && typesCreated.Add(reader.GetString(10)))
            {
                statements.Add(reader.GetString(10));
            }

            if (rewritten)
            {
                // The values the rewrite replaced come back with the column's old type; rows added since keep theirs where
                // they convert, else the undo fails and says so.
                statements.Add($"ALTER TABLE {table} ALTER COLUMN {column} TYPE {reader.GetString(3)} USING {column}::text::{reader.GetString(3)}");
            }
            else
            {
                statements.Add($"ALTER TABLE {table} ADD COLUMN {column} {reader.GetString(3)}");
            }

            statements.Add($"UPDATE {table} AS t SET {column} = i.{column}::{reader.GetString(3)} FROM {image} AS i WHERE {match}");
            if (!reader.IsDBNull(5) && !rewritten)
            {
                statements.Add($"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {reader.GetString(5)}");
            }

            if (reader.GetBoolean(4) && !rewritten)
            {
                statements.Add($"ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL");
            }
        }

        return (statements, conflicts, refilled);
    }
}
