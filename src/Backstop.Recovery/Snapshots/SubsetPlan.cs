using Backstop.Core.Snapshots;
using Backstop.Postgres;

namespace Backstop.Recovery.Snapshots;

/// <summary>
/// Which rows of each table a snapshot keeps, as SQL that production evaluates inside the snapshot (a read-only
/// transaction cannot make temporary tables, so the sets are CTEs and EXISTS chains generated from the foreign keys).
/// <list type="bullet">
/// <item>A table with <c>where:</c> keeps the rows it selects, plus the rows its subsetted children's kept rows point at (up).</item>
/// <item>A table without one, below a subsetted table, keeps the rows whose references to subsetted parents are
/// kept or NULL (down), plus what its own subsetted children point at.</item>
/// <item>Every other table keeps all its rows; an excluded table none.</item>
/// </list>
/// So a kept row's parent is always kept: through a complete parent, a "down" check, or the "up" closure. A foreign
/// key whose columns are all nulled by the rules holds in the snapshot whatever is kept, and is not followed.
/// </summary>
public sealed class SubsetPlan
{
    private readonly Dictionary<string, int> _index;
    private readonly IReadOnlyList<SourceTable> _tables;
    private readonly List<ForeignKey> _edges;
    private readonly HashSet<string> _subsetted = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seeded = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _where;

    private SubsetPlan(IReadOnlyList<SourceTable> tables, List<ForeignKey> edges, Dictionary<string, string?> where)
    {
        _tables = tables;
        _index = tables.Select((t, i) => (t.QualifiedName, i)).ToDictionary(p => p.QualifiedName, p => p.i, StringComparer.Ordinal);
        _edges = edges;
        _where = where;
    }

    /// <summary>Tables kept (not excluded) in catalog order.</summary>
    public IReadOnlyList<SourceTable> Tables => _tables;

    /// <summary>Whether the table keeps only some of its rows.</summary>
    public bool IsSubsetted(SourceTable table) => _subsetted.Contains(table.QualifiedName);

    /// <exception cref="SnapshotException">a kept table references an excluded one through columns not all nulled, or subsetting meets a foreign-key cycle.</exception>
    public static SubsetPlan Build(SourceCatalog catalog, SnapshotSettings settings)
    {
        var rules = settings.Tables.ToDictionary(r => $"{r.Schema}.{r.Table}", StringComparer.Ordinal);
        var excluded = catalog.Tables.Where(t => rules.GetValueOrDefault(t.QualifiedName)?.Exclude == true).Select(t => t.QualifiedName).ToHashSet(StringComparer.Ordinal);
        var kept = catalog.Tables.Where(t => !excluded.Contains(t.QualifiedName)).ToList();
        bool Nulled(ForeignKey fk) => fk.Columns.All(c => rules.GetValueOrDefault(fk.Child)?.Columns.FirstOrDefault(r => r.Column == c)?.Kind == MaskKind.Null);

        var dangling = catalog.ForeignKeys.Where(fk => !excluded.Contains(fk.Child) && excluded.Contains(fk.Parent) && !Nulled(fk)).ToList();
        if (dangling.Count > 0)
        {
            throw new SnapshotException(
                "these kept tables reference excluded tables, so the snapshot would not restore: " +
                string.Join("; ", dangling.Select(fk => $"{fk.Child} ({string.Join(", ", fk.Columns)}) → {fk.Parent} (foreign key {fk.Name})")) +
                ". Exclude the referencing table too, keep the referenced one (a where: can subset it), or give the referencing columns the rule `null`")
            { IsUsageError = true };
        }

        var edges = catalog.ForeignKeys.Where(fk => !fk.IsSelfReference && !excluded.Contains(fk.Child) && !excluded.Contains(fk.Parent) && !Nulled(fk)).ToList();
        var where = kept.ToDictionary(t => t.QualifiedName, t => rules.GetValueOrDefault(t.QualifiedName)?.Where is { Length: > 0 } w ? w : null, StringComparer.Ordinal);
        var plan = new SubsetPlan(kept, edges, where);
        plan.Propagate();
        return plan;
    }

    private void Propagate()
    {
        foreach (var (table, where) in _where)
        {
            if (where is not null)
            {
                _subsetted.Add(table);
                _seeded.Add(table);
            }
        }

        // Subsetting flows down to children; seeds flow up to parents. A cycle would never settle in one direction.
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var edge in _edges)
            {
                changed |= _subsetted.Contains(edge.Parent) && _subsetted.Add(edge.Child);
                changed |= _seeded.Contains(edge.Child) && _seeded.Add(edge.Parent);
            }
        }

        var cyclic = CycleAmong(_subsetted);
        if (cyclic.Count > 0)
        {
            throw new SnapshotException(
                $"subsetting follows foreign keys, but these subsetted tables reference each other in a cycle: {string.Join(", ", cyclic)}. " +
                "Remove the where: that reaches them, or null one of the cycle's foreign-key columns")
            { IsUsageError = true };
        }
    }

    /// <summary>Tables of <paramref name="among"/> on a foreign-key cycle (Kahn's algorithm: what never becomes free of parents).</summary>
    private List<string> CycleAmong(HashSet<string> among)
    {
        var edges = _edges.Where(e => among.Contains(e.Child) && among.Contains(e.Parent)).ToList();
        var remaining = among.ToHashSet(StringComparer.Ordinal);
        for (var removed = true; removed;)
        {
            removed = false;
            foreach (var table in remaining.ToList())
            {
                if (!edges.Any(e => e.Child == table && remaining.Contains(e.Parent)))
                {
                    remaining.Remove(table);
                    removed = true;
                }
            }
        }

        return remaining.Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The query's tail for <paramref name="table"/>: <c>WITH … </c> (the sets it needs) as the prefix, and the
    /// condition on alias <c>t</c> (null: every row). Identifiers are quoted; the where: texts are the operator's SQL.
    /// </summary>
    public (string With, string? Condition) RowsOf(SourceTable table)
    {
        if (!IsSubsetted(table))
        {
            return ("", null);
        }

        var ctes = new List<(string Name, string Body)>();
        var condition = Kept(table.QualifiedName, "t", ctes);
        var with = ctes.Count == 0 ? "" : "WITH " + string.Join(",\n     ", ctes.Select(c => $"{c.Name} AS ({c.Body})")) + "\n";
        return (with, condition);
    }

    private string Kept(string table, string alias, List<(string Name, string Body)> ctes)
    {
        if (_where[table] is not null)
        {
            return Up(table, alias, ctes);
        }

        var down = Down(table, alias, ctes);
        return _seeded.Contains(table) ? $"(({Up(table, alias, ctes)}) OR ({down}))" : down;
    }

    /// <summary>The table's own where:, or a row that a seeded child's kept row points at.</summary>
    private string Up(string table, string alias, List<(string Name, string Body)> ctes)
    {
        var parts = new List<string>();
        if (_where[table] is { } where)
        {
            parts.Add($"({where})");
        }

        foreach (var edge in _edges.Where(e => e.Parent == table && _seeded.Contains(e.Child)))
        {
            var set = Cte("u", edge.Child, ctes, a => Up(edge.Child, a, ctes));
            parts.Add($"EXISTS (SELECT FROM {set} x WHERE {Join(edge, "x", alias)})");
        }

        return parts.Count == 0 ? "false" : string.Join(" OR ", parts);
    }

    /// <summary>Every reference to a subsetted parent is NULL (not checked, MATCH SIMPLE) or reaches a kept row.</summary>
    private string Down(string table, string alias, List<(string Name, string Body)> ctes)
    {
        var parts = new List<string>();
        foreach (var edge in _edges.Where(e => e.Child == table && _subsetted.Contains(e.Parent)))
        {
            var set = Cte("k", edge.Parent, ctes, a => Kept(edge.Parent, a, ctes));
            var nulls = string.Join(" OR ", edge.Columns.Select(c => $"{alias}.{PgIdentifier.Quote(c)} IS NULL"));
            parts.Add($"({nulls} OR EXISTS (SELECT FROM {set} x WHERE {Join(edge, alias, "x")}))");
        }

        return parts.Count == 0 ? "true" : string.Join(" AND ", parts);
    }

    /// <summary>The foreign key's columns of <paramref name="child"/> pairwise equal to the referenced ones of <paramref name="parent"/>.</summary>
    private static string Join(ForeignKey edge, string child, string parent) =>
        string.Join(" AND ", edge.Columns.Zip(edge.ParentColumns).Select(p => $"{child}.{PgIdentifier.Quote(p.First)} = {parent}.{PgIdentifier.Quote(p.Second)}"));

    /// <summary>A CTE of the table's rows meeting <paramref name="condition"/>, with the key columns any join needs; added once.</summary>
    private string Cte(string kind, string table, List<(string Name, string Body)> ctes, Func<string, string> condition)
    {
        var name = $"{kind}_{_index[table]}";
        if (ctes.Any(c => c.Name == name))
        {
            return name;
        }

        var source = _tables[_index[table]];
        var keys = _edges.Where(e => e.Parent == table).SelectMany(e => e.ParentColumns)
            .Concat(_edges.Where(e => e.Child == table).SelectMany(e => e.Columns))
            .Distinct(StringComparer.Ordinal)
            .Select(c => "c." + PgIdentifier.Quote(c));
        var body = $"SELECT {string.Join(", ", keys)} FROM ONLY {source.Quoted} c WHERE {condition("c")}";

        // Its own dependencies were added while its condition was built: it goes after them.
        ctes.Add((name, body));
        return name;
    }
}
