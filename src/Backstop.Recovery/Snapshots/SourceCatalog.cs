using Backstop.Core.Snapshots;
using Npgsql;

namespace Backstop.Recovery.Snapshots;

/// <summary>The tables, columns, foreign keys and sequences of the source, read in the snapshot's own transaction.</summary>
public sealed record SourceCatalog(IReadOnlyList<SourceTable> Tables, IReadOnlyList<ForeignKey> ForeignKeys)
{
    private const string UserSchemas = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

    // Ordinary and partitioned tables' leaf partitions hold data (relkind 'r'); tables of extensions are dumped by the extension.
    private const string TablesSql = $"""
        SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               EXISTS (SELECT FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique AND i.indnatts = 1 AND i.indkey[0] = a.attnum AND i.indpred IS NULL),
               pg_relation_size(c.oid)
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
        WHERE c.relkind = 'r' AND c.relpersistence = 'p' AND {UserSchemas}
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C", a.attnum
        """;

    private const string ForeignKeysSql = $"""
        SELECT k.conname, cn.nspname || '.' || c.relname, pn.nspname || '.' || p.relname,
               array(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(n, i) JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i),
               array(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(n, i) JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i)
        FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
        JOIN pg_class p ON p.oid = k.confrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace
        WHERE k.contype = 'f' AND c.relkind = 'r'
        ORDER BY 2, 1
        """;

    public SourceTable? Table(string qualifiedName) => Tables.FirstOrDefault(t => t.QualifiedName == qualifiedName);

    public static async Task<SourceCatalog> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var tables = new List<SourceTable>();
        await using (var command = new NpgsqlCommand(TablesSql, connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            var columns = new List<SnapshotColumn>();
            (string Schema, string Name)? current = null;
            long bytes = 0;
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = (reader.GetString(0), reader.GetString(1));
                if (current is { } open && open != key)
                {
                    tables.Add(new SourceTable(open.Schema, open.Name, columns, bytes));
                    columns = [];
                }

                current = key;
                bytes = reader.GetInt64(6);
                columns.Add(new SnapshotColumn(reader.GetString(2), reader.GetString(3), reader.GetBoolean(4), reader.GetBoolean(5)));
            }

            if (current is { } last)
            {
                tables.Add(new SourceTable(last.Schema, last.Name, columns, bytes));
            }
        }

        var foreignKeys = new List<ForeignKey>();
        await using (var command = new NpgsqlCommand(ForeignKeysSql, connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                foreignKeys.Add(new ForeignKey(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<string[]>(3), reader.GetString(2), reader.GetFieldValue<string[]>(4)));
            }
        }

        return new SourceCatalog(tables, foreignKeys);
    }
}
