namespace Backstop.Core.Preview;

/// <summary>
/// Holds a run to what its preview saw destroyed (the preview is the plan): every catalog change of the run must be an
/// effect the preview counted, and every effect the preview counted must happen again.
/// </summary>
internal static class EffectPlan
{
    /// <returns>the planned effects that happened; what did not match goes into <paramref name="unplanned"/>.</returns>
    public static List<ObservedEffect> Match(IReadOnlyList<ObservedEffect> planned, IReadOnlyList<CatalogChange> changes, long largeObjects, List<string> unplanned)
    {
        var effects = new List<ObservedEffect>();
        foreach (var change in changes)
        {
            var oid = change.Table.Oid;
            var matches = change.Kind switch
            {
                CatalogChangeKind.Dropped => planned.Where(p => p.Kind == EffectKind.DroppedTable && p.RelationId == oid).ToList(),
                CatalogChangeKind.NewFileNode => planned.Where(p => p.Kind is EffectKind.Truncated or EffectKind.RewrittenTable or EffectKind.RewrittenColumn && p.RelationId == oid).ToList(),
                CatalogChangeKind.ColumnDropped => planned.Where(p => p.Kind == EffectKind.DroppedColumn && p.RelationId == oid && p.ColumnNumber == change.Column).ToList(),
                _ => null,
            };
            if (matches is null)
            {
                continue; // a column's definition written (a default, a statistics target): nothing destroyed
            }

            if (matches.Count == 0)
            {
                unplanned.Add(change.Kind switch
                {
                    CatalogChangeKind.Dropped => $"the run dropped {change.Table.QualifiedName}, which the preview did not",
                    CatalogChangeKind.NewFileNode => $"the run truncated or rewrote {change.Table.QualifiedName}, which the preview did not",
                    _ => $"the run dropped a column of {change.Table.QualifiedName}, which the preview did not",
                });
            }

            effects.AddRange(matches.Except(effects));
        }

        if (largeObjects > 0)
        {
            var removed = planned.FirstOrDefault(p => p.Kind == EffectKind.RemovedLargeObjects);
            if (removed is null)
            {
                unplanned.Add($"the run removed {largeObjects} large object(s), which the preview did not");
            }
            else
            {
                effects.Add(removed);
            }
        }

        unplanned.AddRange(planned.Except(effects).Select(p => $"the preview saw this, the run did not: {p.Describe()}"));
        return effects;
    }
}
