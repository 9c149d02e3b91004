using Npgsql;

namespace Backstop.Core.Preview;

/// <summary>
/// The current transaction's per-table tuple counters (docs: "Monitoring Database Activity →
/// pg_stat_xact_user_tables"). They include rows changed by cascades and triggers, and subtransactions
/// that are still open, so the difference around a statement is exactly what it did. Rows of a
/// partition count for its partitioned table (the partition root), which is what a statement names and
/// what a policy's share of a table means.
/// </summary>
internal sealed record TableCounters(uint RelationId, string Schema, string Name, long Inserted, long Updated, long Deleted)
{
    /// <summary>A partitioned table: its counters are its partitions'.</summary>
    public bool IsPartitioned { get; init; }

    // Backstop's own schemas are read too: a preview refuses a script that writes into them, and the meter leaves them
    // out of every impact (in a run they hold the capture's own writes).
    public const string SnapshotSql = """
        SELECT r.oid, n.nspname, r.relname, sum(s.n_tup_ins)::bigint, sum(s.n_tup_upd)::bigint, sum(s.n_tup_del)::bigint, r.relkind = 'p'
        FROM pg_stat_xact_user_tables s
        JOIN pg_class r ON r.oid = coalesce(pg_partition_root(s.relid), s.relid)
        JOIN pg_namespace n ON n.oid = r.relnamespace
        WHERE s.n_tup_ins > 0 OR s.n_tup_upd > 0 OR s.n_tup_del > 0
        GROUP BY r.oid, n.nspname, r.relname, r.relkind
        """;

    public static async Task<Dictionary<uint, TableCounters>> ReadAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var counters = new Dictionary<uint, TableCounters>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new TableCounters(reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5))
            {
                IsPartitioned = reader.GetBoolean(6),
            };
            counters[row.RelationId] = row;
        }

        return counters;
    }

    /// <param name="moves">the statement is an UPDATE: on a partitioned table, a row it moved to another partition counts
    /// as the one updated row it is, not as the delete and insert the partitions saw.</param>
    public static List<(uint RelationId, TableImpact Impact)> Deltas(Dictionary<uint, TableCounters> before, Dictionary<uint, TableCounters> after, bool moves = false)
    {
        var deltas = new List<(uint, TableImpact)>();
        foreach (var (relid, now) in after)
        {
            before.TryGetValue(relid, out var then);
            var impact = new TableImpact
            {
                Schema = now.Schema,
                Name = now.Name,
                Inserted = now.Inserted - (then?.Inserted ?? 0),
                Updated = now.Updated - (then?.Updated ?? 0),
                Deleted = now.Deleted - (then?.Deleted ?? 0),
            };
            if (moves && now.IsPartitioned && Math.Min(impact.Inserted, impact.Deleted) is var moved and > 0)
            {
                impact = impact with { Inserted = impact.Inserted - moved, Updated = impact.Updated + moved, Deleted = impact.Deleted - moved };
            }

            if (impact.Changed > 0)
            {
                deltas.Add((relid, impact));
            }
        }

        deltas.Sort((a, b) => string.CompareOrdinal(a.Item2.QualifiedName, b.Item2.QualifiedName));
        return deltas;
    }
}
