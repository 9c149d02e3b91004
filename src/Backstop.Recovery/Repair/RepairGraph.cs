using Backstop.Postgres;
using Npgsql;

namespace Backstop.Recovery.Repair;

/// <summary>A foreign key through which a DELETE of parent rows writes the child: ON DELETE CASCADE, SET NULL or SET DEFAULT.</summary>
/// <param name="Parent">the referenced table, quoted and schema-qualified</param>
/// <param name="Child">the referencing table, quoted and schema-qualified</param>
/// <param name="ChildColumns">the referencing columns, in the key's order</param>
/// <param name="ParentColumns">the referenced columns, in the same order</param>
/// <param name="Action">what a parent's DELETE does to the child's rows: cascade, set null or set default</param>
public sealed record RepairEdge(string Parent, string Child, IReadOnlyList<string> ChildColumns, IReadOnlyList<string> ParentColumns, string Action);

/// <summary>
/// The tables a mistake on a root table's rows reaches: the root, and every table that references a reached table
/// through a foreign key whose delete action writes it (cascade, set null, set default), read from the target's
/// catalog. Foreign keys that restrict or do nothing are not followed: they stop a DELETE rather than extend it.
/// Tables that triggers write (an audit trail) are not part of the graph: the rows a trigger wrote because of the
/// mistake are kept.
/// </summary>
public sealed class RepairGraph
{
    private RepairGraph(IReadOnlyList<string> tables, IReadOnlyList<RepairEdge> edges)
    {
        Tables = tables;
        Edges = edges;
    }

    /// <summary>Every reached table, quoted and schema-qualified, parents before children (tables in a cycle in name order).</summary>
    public IReadOnlyList<string> Tables { get; }

    public IReadOnlyList<RepairEdge> Edges { get; }

    public static async Task<RepairGraph> DiscoverAsync(NpgsqlConnection target, RepairTable root, CancellationToken cancellationToken)
    {
        // UNION (not UNION ALL) stops at tables already reached, so a cycle of foreign keys ends. Constraints inherited by
        // partitions (conparentid <> 0) are the partitioned table's own, already followed.
        await using var command = new NpgsqlCommand(
            """
            WITH RECURSIVE reach(relid) AS (
                SELECT to_regclass(@root)::oid
                UNION
                SELECT c.conrelid FROM pg_constraint c JOIN reach r ON c.confrelid = r.relid
                WHERE c.contype = 'f' AND c.conparentid = 0 AND c.confdeltype IN ('c', 'n', 'd')
            )
            SELECT pn.nspname, p.relname, cn.nspname, ch.relname,
                   array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n),
                   array(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.n),
                   CASE c.confdeltype WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' ELSE 'set default' END
            FROM pg_constraint c
            JOIN pg_class p ON p.oid = c.confrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace
            JOIN pg_class ch ON ch.oid = c.conrelid JOIN pg_namespace cn ON cn.oid = ch.relnamespace
            WHERE c.contype = 'f' AND c.conparentid = 0 AND c.confdeltype IN ('c', 'n', 'd')
              AND c.confrelid IN (SELECT relid FROM reach)
            ORDER BY pn.nspname, p.relname, cn.nspname, ch.relname, c.conname
            """, target);
        command.Parameters.AddWithValue("root", root.Quoted);
        var edges = new List<RepairEdge>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                edges.Add(new RepairEdge(
                    PgIdentifier.Quote(reader.GetString(0), reader.GetString(1)), PgIdentifier.Quote(reader.GetString(2), reader.GetString(3)),
                    reader.GetFieldValue<string[]>(4), reader.GetFieldValue<string[]>(5), reader.GetString(6)));
            }
        }

        return new RepairGraph(ParentsFirst(root.Quoted, edges), edges);
    }

    /// <summary>The root, then each table once all the tables it references (in the graph) are placed; what a cycle leaves, in name order.</summary>
    internal static IReadOnlyList<string> ParentsFirst(string root, IReadOnlyList<RepairEdge> edges)
    {
        var all = new SortedSet<string>(StringComparer.Ordinal) { root };
        foreach (var edge in edges)
        {
            all.Add(edge.Parent);
            all.Add(edge.Child);
        }

        var parents = all.ToDictionary(t => t, t => edges.Where(e => e.Child == t && e.Parent != t).Select(e => e.Parent).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        var placed = new List<string>();
        var remaining = new SortedSet<string>(all, StringComparer.Ordinal);
        while (remaining.Count > 0)
        {
            var ready = remaining.FirstOrDefault(t => parents[t].All(placed.Contains)) ?? remaining.Min!;
            placed.Add(ready);
            remaining.Remove(ready);
        }

        return placed;
    }

    /// <summary>For messages: an edge as <c>child(columns) → parent on delete action</c>, the tables by their schema.name.</summary>
    public static string Describe(RepairEdge edge, IEnumerable<RepairTable> tables)
    {
        var names = tables.ToDictionary(t => t.Quoted, t => t.QualifiedName, StringComparer.Ordinal);
        return $"{names.GetValueOrDefault(edge.Child, edge.Child)}({string.Join(", ", edge.ChildColumns)}) → {names.GetValueOrDefault(edge.Parent, edge.Parent)} on delete {edge.Action}";
    }
}
