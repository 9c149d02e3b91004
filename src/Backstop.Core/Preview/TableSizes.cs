using Backstop.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace Backstop.Core.Preview;

/// <summary>
/// How many rows tables hold: an exact count when the table is small enough to count quickly, otherwise
/// the planner's estimate (pg_class.reltuples), labelled as such.
/// </summary>
internal static class TableSizes
{
    /// <summary>Tables up to this many bytes on disk are counted exactly.</summary>
    public const long ExactCountMaxBytes = 32L * 1024 * 1024;

    // A partitioned table has no storage of its own: its size and row estimate are its leaf partitions'.
    private const string SizeSql = """
        SELECT c.oid, n.nspname, c.relname,
               CASE WHEN c.relkind = 'p'
                    THEN (SELECT coalesce(sum(greatest(l.reltuples, 0)), 0) FROM pg_partition_tree(c.oid) t JOIN pg_class l ON l.oid = t.relid WHERE t.isleaf)
                    ELSE c.reltuples END::bigint,
               CASE WHEN c.relkind = 'p'
                    THEN (SELECT coalesce(sum(pg_relation_size(t.relid)), 0) FROM pg_partition_tree(c.oid) t WHERE t.isleaf)
                    ELSE pg_relation_size(c.oid) END::bigint,
               EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid = ANY(@ids)
        """;

    public static async Task<Dictionary<uint, TableSize>> ReadAsync(
        NpgsqlConnection connection, IReadOnlyCollection<uint> relationIds, CancellationToken cancellationToken)
    {
        var result = new Dictionary<uint, TableSize>();
        if (relationIds.Count == 0)
        {
            return result;
        }

        var toCount = new List<(uint Id, string Schema, string Name, bool HasPrimaryKey)>();
        await using (var command = new NpgsqlCommand(
            SizeSql,
            connection))
        {
            command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Oid) { Value = relationIds.ToArray() });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetFieldValue<uint>(0);
                var schema = reader.GetString(1);
                var name = reader.GetString(2);
                var reltuples = reader.GetInt64(3);
                var bytes = reader.GetInt64(4);
                var hasPrimaryKey = reader.GetBoolean(5);
                if (bytes <= ExactCountMaxBytes)
                {
                    toCount.Add((id, schema, name, hasPrimaryKey));
                }
                else
                {
                    // reltuples is -1 until the table is first vacuumed or analyzed (docs: pg_class).
                    result[id] = new TableSize(reltuples >= 0 ? reltuples : null, true, schema, name, hasPrimaryKey);
                }
            }
        }

        if (toCount.Count > 0)
        {
            var sql = string.Join(" UNION ALL ", toCount.Select((t, i) => $"SELECT {i}, count(*) FROM {PgIdentifier.Quote(t.Schema, t.Name)}"));
            await using var command = new NpgsqlCommand(sql, connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var table = toCount[reader.GetInt32(0)];
                result[table.Id] = new TableSize(reader.GetInt64(1), false, table.Schema, table.Name, table.HasPrimaryKey);
            }
        }

        return result;
    }
}
