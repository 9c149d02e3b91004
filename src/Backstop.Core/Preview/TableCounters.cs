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

    /// <summary>
    /// The counters of every table of the database's own schemas, and of Backstop's own schemas only the tables this
    /// transaction holds a write lock on. Backstop's schema holds an image table for every change ever kept, and reading
    /// a table's counters costs a lookup in the server's shared statistics, so reading them all made every guarded
    /// statement slower with every change kept (docs/benchmarks.md, "Where a guarded UPDATE's time goes"). A statement
    /// that writes a table takes ROW EXCLUSIVE or a stronger lock on it, held until its (sub)transaction ends (docs:
    /// "Explicit Locking"), so a table of Backstop's that a statement writes is in the reading after it; the meter then
    /// refuses it in a preview, and leaves it out of every impact (in a run they hold the capture's own writes). A table
    /// locked after but not before counts from zero: a statement that only takes such a lock is refused too.
    /// </summary>
    /// <summary>The name of the reading's first column, by which a batch's reader tells its result set from the others.</summary>
    public const string FirstColumn = "backstop_counted_relid";

    public const string SnapshotSql = $"""
        WITH watched AS MATERIALIZED (
            SELECT c.oid AS relid
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'm', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
              AND (NOT {CatalogWatch.OwnSchemaSql}
                   OR c.oid IN (SELECT l.relation FROM pg_locks l
                                WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
                                  AND l.mode IN ('RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')))),
        counted AS (
            SELECT relid, pg_stat_get_xact_tuples_inserted(relid) AS ins, pg_stat_get_xact_tuples_updated(relid) AS upd,
                   pg_stat_get_xact_tuples_deleted(relid) AS del
            FROM watched)
        SELECT r.oid AS {FirstColumn}, n.nspname, r.relname, sum(s.ins)::bigint, sum(s.upd)::bigint, sum(s.del)::bigint, r.relkind = 'p'
        FROM counted s
        JOIN pg_class r ON r.oid = coalesce(pg_partition_root(s.relid), s.relid)
        JOIN pg_namespace n ON n.oid = r.relnamespace
        WHERE s.ins > 0 OR s.upd > 0 OR s.del > 0
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
