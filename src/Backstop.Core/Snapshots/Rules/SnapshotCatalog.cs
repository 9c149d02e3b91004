using Backstop.Core.Review;
using Npgsql;

namespace Backstop.Core.Snapshots.Rules;

/// <summary>Reads the columns of every user table: the system's schemas and Backstop's own (capture, recycle bin) are left out.</summary>
public static class SnapshotCatalog
{
    // Unique: a valid, non-partial, single-column unique index on the plain column (the primary key's included);
    // indkey is an int2vector, subscripted from 0 (docs: pg_index). Partitions are read through their parent.
    // Generated columns are left out: COPY cannot write them, and a restore computes them again from the masked
    // columns they are generated from (docs: "Generated Columns").
    private const string ColumnsSql = $"""
        SELECT n.nspname::text, c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               EXISTS (SELECT 1 FROM pg_index i
                       WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum
                         AND i.indpred IS NULL AND i.indexprs IS NULL),
               EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype IN ('p', 'f') AND a.attnum = ANY (k.conkey))
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {SchemaCatalog.UserSchemas}
        ORDER BY 1, 2, a.attnum
        """;

    public static async Task<IReadOnlyList<SnapshotCatalogTable>> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var rows = new List<(string Schema, string Table, SnapshotColumn Column, bool Key)>();
        await using (var command = new NpgsqlCommand(ColumnsSql, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add((reader.GetString(0), reader.GetString(1),
                    new SnapshotColumn(reader.GetString(2), reader.GetString(3), reader.GetBoolean(4), reader.GetBoolean(5)), reader.GetBoolean(6)));
            }
        }

        return rows.GroupBy(r => (r.Schema, r.Table))
            .Select(g => new SnapshotCatalogTable(g.Key.Schema, g.Key.Table, g.Select(r => r.Column).ToList(),
                g.Where(r => r.Key).Select(r => r.Column.Name).ToHashSet(StringComparer.Ordinal)))
            .ToList();
    }
}
