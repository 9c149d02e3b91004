using Backstop.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace Backstop.Core.Preview;

/// <summary>
/// Sees what a statement destroyed in the catalog, whatever ran it (D10). pg_stat_xact_user_tables does not move for
/// TRUNCATE, DROP or a table rewrite, but the catalog rows they write do: the transaction's counters of pg_class,
/// pg_attribute and pg_largeobject_metadata (pg_stat_xact_sys_tables) tell cheaply, around every statement, whether
/// anything of the kind happened. Only then are the user tables read again (OID and relfilenode, which TRUNCATE and
/// every rewrite replace) and compared with the list from before, and the pg_attribute rows this statement wrote
/// (their xmin is one of the xids assigned since the statement began) show dropped and retyped columns.
/// </summary>
internal static class CatalogWatch
{
    /// <summary>Read with the tuple counters; the last column is the next xid (xid8) at that moment.</summary>
    /// <summary>The name of the counters' first column, by which a batch's reader tells their result set from the others.</summary>
    public const string FirstColumn = "backstop_class_writes";

    public const string CountersSql = $"""
        SELECT (pg_stat_get_xact_tuples_updated('pg_catalog.pg_class'::regclass) + pg_stat_get_xact_tuples_deleted('pg_catalog.pg_class'::regclass))::bigint AS {FirstColumn},
               (pg_stat_get_xact_tuples_updated('pg_catalog.pg_attribute'::regclass) + pg_stat_get_xact_tuples_deleted('pg_catalog.pg_attribute'::regclass))::bigint,
               pg_stat_get_xact_tuples_deleted('pg_catalog.pg_largeobject_metadata'::regclass)::bigint,
               pg_snapshot_xmax(pg_current_snapshot())::text::bigint
        """;

    /// <summary>
    /// A schema of Backstop's own (<see cref="Changes.OwnObjects.IsOwnSchema"/>), as a condition on <c>n.nspname</c>.
    /// </summary>
    public const string OwnSchemaSql = $"(n.nspname IN ('{Capture.CaptureSchema.Name}', '{State.StateSchema.PostgresSchema}') OR starts_with(n.nspname, '{RecycleBin.TrashBin.Schema}_'))";

    // Ordinary tables and partitions of every schema but PostgreSQL's own, the sessions' temporary ones and Backstop's.
    // Backstop's schemas are watched by one fingerprint each instead (their tables' oids and relfilenodes): they hold an
    // image table for every change ever kept, and listing them all around every statement made each guarded statement
    // slower with every change kept. A script that drops or rewrites what they keep is refused all the same.
    private const string TablesSql = $"""
        SELECT c.oid, c.relfilenode, n.nspname, c.relname, CASE WHEN c.relispartition THEN pg_partition_root(c.oid)::oid END
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)' AND NOT {OwnSchemaSql}
        """;

    // Per schema of Backstop's: the highest oid of its tables, and a fingerprint of them all.
    private const string OwnTablesSql = $"""
        SELECT n.nspname, coalesce(max(c.oid), 0), md5(coalesce(string_agg(c.oid::text || ':' || c.relfilenode::text, ',' ORDER BY c.oid), ''))
        FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p')
        WHERE {OwnSchemaSql}
        GROUP BY n.nspname
        """;

    // The same, after a statement, of the schemas there were before it and of the tables they had: one that another
    // session created meanwhile (a kept change's image table) is not the statement's doing. OIDs are handed out in
    // increasing order until they wrap around (docs: "Object Identifier Types").
    private const string OwnTablesSinceSql = """
        SELECT b.nspname, b.limit_oid, md5(coalesce(string_agg(c.oid::text || ':' || c.relfilenode::text, ',' ORDER BY c.oid), ''))
        FROM unnest(@schemas::text[], @limits::oid[]) AS b(nspname, limit_oid)
        JOIN pg_namespace n ON n.nspname = b.nspname
        LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p') AND c.oid <= b.limit_oid
        GROUP BY b.nspname, b.limit_oid
        """;

    // pg_attribute rows of these tables that an xid assigned since @start wrote: xids compare modulo 2^32 (docs:
    // "Preventing Transaction ID Wraparound Failures"), and frozen or older rows come out far behind.
    private const string FreshColumnsSql = """
        SELECT a.attrelid, a.attnum, a.attisdropped
        FROM pg_attribute a
        WHERE a.attrelid = ANY(@tables) AND a.attnum > 0
          AND (a.xmin::text::bigint - @start + 4294967296) % 4294967296 < 2147483648
        """;

    public static async Task<CatalogCounters> ReadCountersAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        await reader.ReadAsync(cancellationToken);
        return new CatalogCounters(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    /// <param name="since">the reading before the statement, whose schemas of Backstop's are read as they were then
    /// (the tables they had); null for a first reading.</param>
    public static async Task<WatchedTables> ReadTablesAsync(NpgsqlConnection connection, WatchedTables? since, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        AddTablesTo(batch, since);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await ReadTablesAsync(reader, cancellationToken);
    }

    /// <summary>Adds the two queries of a reading of the tables to a batch (two result sets, read with <see cref="ReadTablesAsync(NpgsqlDataReader, CancellationToken)"/>).</summary>
    public static void AddTablesTo(NpgsqlBatch batch, WatchedTables? since)
    {
        var own = new NpgsqlBatchCommand(since is null ? OwnTablesSql : OwnTablesSinceSql);
        if (since is not null)
        {
            own.Parameters.AddWithValue("schemas", since.OwnSchemas.Keys.ToArray());
            own.Parameters.Add(new NpgsqlParameter("limits", NpgsqlDbType.Array | NpgsqlDbType.Oid) { Value = since.OwnSchemas.Values.Select(s => s.MaxOid).ToArray() });
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand(TablesSql));
        batch.BatchCommands.Add(own);
    }

    /// <summary>Reads the two result sets of <see cref="AddTablesTo"/>, the reader on the first; leaves it on the second.</summary>
    public static async Task<WatchedTables> ReadTablesAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var tables = new Dictionary<uint, WatchedTable>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var table = new WatchedTable(reader.GetFieldValue<uint>(0), reader.GetFieldValue<uint>(1), reader.GetString(2), reader.GetString(3))
            {
                Root = reader.IsDBNull(4) ? null : reader.GetFieldValue<uint>(4),
            };
            tables[table.Oid] = table;
        }

        await reader.NextResultAsync(cancellationToken);
        var schemas = new Dictionary<string, WatchedTables.OwnSchema>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            schemas[reader.GetString(0)] = new WatchedTables.OwnSchema(reader.GetFieldValue<uint>(1), reader.GetString(2));
        }

        return new WatchedTables(tables, schemas);
    }

    /// <summary>What changed between two lists of tables, and the columns of tables that existed before that the statement dropped or retyped.</summary>
    public static async Task<List<CatalogChange>> ChangesAsync(
        NpgsqlConnection connection, WatchedTables beforeTables, WatchedTables afterTables, long startXid, bool attributesMoved, CancellationToken cancellationToken)
    {
        var (before, after) = (beforeTables.Tables, afterTables.Tables);
        var changes = new List<CatalogChange>();
        foreach (var (oid, table) in before)
        {
            if (!after.TryGetValue(oid, out var now))
            {
                changes.Add(new CatalogChange(CatalogChangeKind.Dropped, table, 0));
            }
            else if (now.FileNode != table.FileNode)
            {
                changes.Add(new CatalogChange(CatalogChangeKind.NewFileNode, now, 0));
            }
        }

        if (!attributesMoved)
        {
            return changes;
        }

        var survivors = before.Keys.Where(after.ContainsKey).ToArray();
        await using var command = new NpgsqlCommand(FreshColumnsSql, connection);
        command.Parameters.Add(new NpgsqlParameter("tables", NpgsqlDbType.Array | NpgsqlDbType.Oid) { Value = survivors });
        command.Parameters.AddWithValue("start", startXid % 4294967296L);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var table = after[reader.GetFieldValue<uint>(0)];
            var kind = reader.GetBoolean(2) ? CatalogChangeKind.ColumnDropped : CatalogChangeKind.ColumnWritten;
            changes.Add(new CatalogChange(kind, table, reader.GetInt16(1)));
        }

        return changes;
    }

    /// <summary>Rows of a table as it stands now (exact).</summary>
    public static async Task<long> CountRowsAsync(NpgsqlConnection connection, WatchedTable table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {PgIdentifier.Quote(table.Schema, table.Name)}", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>A column's name, type and non-null values as the table stands now; null when the column does not exist (now).</summary>
    public static async Task<(string Name, string Type, uint TypeId, long Values)?> DescribeColumnAsync(NpgsqlConnection connection, WatchedTable table, short number, CancellationToken cancellationToken)
    {
        string name, type;
        uint typeId;
        await using (var describe = new NpgsqlCommand(
            "SELECT attname, format_type(atttypid, atttypmod), atttypid FROM pg_attribute WHERE attrelid = @relid AND attnum = @number AND NOT attisdropped", connection))
        {
            describe.Parameters.Add(new NpgsqlParameter("relid", NpgsqlDbType.Oid) { Value = table.Oid });
            describe.Parameters.AddWithValue("number", number);
            await using var reader = await describe.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            (name, type, typeId) = (reader.GetString(0), reader.GetString(1), reader.GetFieldValue<uint>(2));
        }

        await using var count = new NpgsqlCommand($"SELECT count({PgIdentifier.Quote(name)}) FROM {PgIdentifier.Quote(table.Schema, table.Name)}", connection);
        return (name, type, typeId, (long)(await count.ExecuteScalarAsync(cancellationToken))!);
    }

    /// <summary>The type of a column as it stands now, or null when it is gone.</summary>
    public static async Task<uint?> ColumnTypeAsync(NpgsqlConnection connection, uint relationId, short number, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT atttypid FROM pg_attribute WHERE attrelid = @relid AND attnum = @number AND NOT attisdropped", connection);
        command.Parameters.Add(new NpgsqlParameter("relid", NpgsqlDbType.Oid) { Value = relationId });
        command.Parameters.AddWithValue("number", number);
        return await command.ExecuteScalarAsync(cancellationToken) is uint type ? type : null;
    }

    public static bool IsBackstopSchema(string schema) => Changes.OwnObjects.IsOwnSchema(schema);
}
