namespace Backstop.Core.Review;

/// <summary>
/// Follows ON DELETE CASCADE / SET NULL / SET DEFAULT foreign keys from each table and estimates the rows a one-row DELETE
/// would reach, from the planner's statistics alone (pure: no database). Per foreign key, rows per parent row are:
/// on average, the child's non-null rows over the parent's rows (every such child row references exactly one parent row);
/// at worst, the child's rows times the frequency of its most common value (pg_stats.most_common_freqs), or, without a
/// most-common list, the non-null rows over the distinct values. Each step multiplies, and each table is capped at its rows.
/// </summary>
public static class CascadeAnalysis
{
    /// <summary>Deeper chains are not followed; no real schema cascades this far, and a bound keeps odd graphs cheap.</summary>
    private const int MaxDepth = 12;

    /// <summary>The reach of every table that reaches anything, widest (most rows at worst) first.</summary>
    public static IReadOnlyList<CascadeReach> Compute(IReadOnlyList<SchemaTable> tables, IReadOnlyList<SchemaForeignKey> foreignKeys)
    {
        var byOid = tables.ToDictionary(t => t.Oid);
        var byParent = foreignKeys.Where(f => f.Reaches && byOid.ContainsKey(f.Child) && byOid.ContainsKey(f.Parent)).ToLookup(f => f.Parent);
        var reaches = new List<CascadeReach>();
        foreach (var root in tables)
        {
            if (!byParent.Contains(root.Oid))
            {
                continue;
            }

            var steps = new Dictionary<uint, StepTotal>();
            Follow(root, 1, 1, 1, [root.Oid], byOid, byParent, steps);
            var list = steps.Values
                .Select(s => new CascadeStep(s.Table.Display, s.Via, s.Action, s.Depth, s.Worst, s.Average, s.Table.DeleteTriggers, s.Unindexed))
                .OrderBy(s => s.Depth).ThenByDescending(s => s.RowsWorst).ThenBy(s => s.Table, StringComparer.Ordinal)
                .ToList();
            var removed = list.Where(s => s.Action == "CASCADE").ToList();
            var missing = steps.Values.Select(s => s.Table).Prepend(root).Where(t => !t.HasStatistics).Select(t => t.Display).Distinct(StringComparer.Ordinal).ToList();
            reaches.Add(new CascadeReach(root.Display, list, removed.Sum(s => s.RowsWorst), removed.Sum(s => s.RowsAverage), root.DeleteTriggers, missing));
        }

        return reaches.OrderByDescending(r => r.RowsWorst).ThenByDescending(r => r.Steps.Count).ThenBy(r => r.Table, StringComparer.Ordinal).ToList();
    }

    private static void Follow(
        SchemaTable parent, double worst, double average, int depth, HashSet<uint> path,
        Dictionary<uint, SchemaTable> byOid, ILookup<uint, SchemaForeignKey> byParent, Dictionary<uint, StepTotal> steps)
    {
        foreach (var key in byParent[parent.Oid])
        {
            var child = byOid[key.Child];
            var (perWorst, perAverage) = RowsPerParentRow(key, child, parent);
            var childWorst = Cap(worst * perWorst, child);
            var childAverage = Cap(average * perAverage, child);
            if (!steps.TryGetValue(child.Oid, out var total))
            {
                total = steps[child.Oid] = new StepTotal(child, key.Display(child), key.Action, depth);
            }

            total.Unindexed |= !key.Indexed;
            if (path.Contains(child.Oid))
            {
                // A cycle (a self-reference such as employees.manager_id): the table is reached, and counted once.
                continue;
            }

            total.Worst = Cap(total.Worst + childWorst, child);
            total.Average = Cap(total.Average + childAverage, child);
            if (key.Removes && depth < MaxDepth && childWorst > 0)
            {
                path.Add(child.Oid);
                Follow(child, childWorst, childAverage, depth + 1, path, byOid, byParent, steps);
                path.Remove(child.Oid);
            }
        }
    }

    /// <summary>How many child rows reference one parent row: at worst and on average.</summary>
    public static (double Worst, double Average) RowsPerParentRow(SchemaForeignKey key, SchemaTable child, SchemaTable parent)
    {
        var childRows = Math.Max(child.Rows, 0);
        var nonNull = childRows * (1 - key.NullFraction);
        var perDistinct = key.Distinct is > 0 and var d ? nonNull / d : nonNull;
        var average = parent.Rows > 0 ? nonNull / parent.Rows : perDistinct;
        var worst = key.MaxFrequency is { } frequency ? frequency * childRows : perDistinct;
        return (Math.Max(worst, average), average);
    }

    private static double Cap(double rows, SchemaTable table) => Math.Min(rows, Math.Max(table.Rows, 0));

    private sealed class StepTotal(SchemaTable table, string via, string action, int depth)
    {
        public SchemaTable Table { get; } = table;

        public string Via { get; } = via;

        public string Action { get; } = action;

        public int Depth { get; } = depth;

        public double Worst { get; set; }

        public double Average { get; set; }

        public bool Unindexed { get; set; }
    }
}
