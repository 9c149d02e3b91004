using Npgsql;

namespace Backstop.Core.Review;

/// <summary>The tables and foreign keys of the database's own schemas, with the statistics the review weighs them by.</summary>
public sealed record SchemaCatalog(IReadOnlyList<SchemaTable> Tables, IReadOnlyList<SchemaForeignKey> ForeignKeys)
{
    /// <summary>The schemas the review leaves out: the system's and Backstop's own (capture, state, recycle bin).</summary>
    internal const string UserSchemas =
        "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)' AND n.nspname <> 'backstop' AND n.nspname NOT LIKE 'backstop\\_%'";

    // pg_trigger.tgtype: TRIGGER_TYPE_DELETE is 1 << 3 (src/include/catalog/pg_trigger.h). Backstop's own persistent
    // capture trigger (capture migration 0006) writes nothing outside a guard, so it is no trigger of the schema's.
    private const string TablesSql = $"""
        SELECT c.oid, n.nspname::text, c.relname::text, c.reltuples::float8, pg_get_userbyid(c.relowner)::text,
               EXISTS (SELECT 1 FROM pg_index i
                       WHERE i.indrelid = c.oid AND i.indisvalid AND (i.indisprimary OR (i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
                             AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey::int2[]) k(attnum) JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
                                             WHERE NOT a.attnotnull)))),
               array(SELECT t.tgname::text FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal AND t.tgtype & 8 <> 0
                     AND t.tgname <> '{Capture.PersistentCapture.TriggerName}' ORDER BY 1)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {UserSchemas}
        ORDER BY 2, 3
        """;

    // An index serves the foreign key's lookups when its leading key columns are the key's columns, in any order
    // (docs: "Multicolumn Indexes"); INCLUDE columns (past indnkeyatts) cannot be searched.
    private const string ForeignKeysSql = $"""
        SELECT f.oid, f.conname::text, f.conrelid, f.confrelid, f.confdeltype::text, f.convalidated,
               array(SELECT a.attname::text FROM unnest(f.conkey) WITH ORDINALITY k(attnum, ord)
                     JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = k.attnum ORDER BY k.ord),
               EXISTS (SELECT 1 FROM pg_index i
                       WHERE i.indrelid = f.conrelid AND i.indisvalid AND i.indpred IS NULL AND i.indnkeyatts >= cardinality(f.conkey)
                         AND (i.indkey::int2[])[0:cardinality(f.conkey) - 1] @> f.conkey),
               coalesce(st.null_frac, 0)::float8, st.distinct_values, st.max_frequency
        FROM pg_constraint f
        JOIN pg_class c ON c.oid = f.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN LATERAL (
            SELECT max(s.null_frac)::float8 AS null_frac,
                   max(CASE WHEN s.n_distinct >= 0 THEN s.n_distinct ELSE -s.n_distinct * greatest(c.reltuples, 0) END)::float8 AS distinct_values,
                   min((SELECT max(m) FROM unnest(s.most_common_freqs) m))::float8 AS max_frequency
            FROM pg_stats s
            WHERE s.schemaname = n.nspname AND s.tablename = c.relname AND s.inherited = (c.relkind = 'p')
              AND s.attname IN (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = f.conrelid AND a.attnum = ANY (f.conkey))
        ) st ON true
        WHERE f.contype = 'f' AND f.conparentid = 0 AND {UserSchemas}
        ORDER BY n.nspname, c.relname, f.conname
        """;

    public static async Task<SchemaCatalog> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var tables = new List<SchemaTable>();
        await using (var command = new NpgsqlCommand(TablesSql, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                tables.Add(new SchemaTable(
                    reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetString(2), reader.GetDouble(3), reader.GetBoolean(5),
                    reader.GetFieldValue<string[]>(6), reader.GetString(4)));
            }
        }

        var keys = new List<SchemaForeignKey>();
        await using (var command = new NpgsqlCommand(ForeignKeysSql, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                keys.Add(new SchemaForeignKey(
                    reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetFieldValue<uint>(2), reader.GetFieldValue<uint>(3),
                    reader.GetString(4)[0], reader.GetFieldValue<string[]>(6), reader.GetBoolean(7), reader.GetBoolean(5),
                    reader.GetDouble(8), reader.IsDBNull(9) ? null : reader.GetDouble(9), reader.IsDBNull(10) ? null : reader.GetDouble(10)));
            }
        }

        return new SchemaCatalog(tables, keys);
    }
}
