using Backstop.Core.Changes;
using Backstop.Core.Preview;

namespace Backstop.Core.Capture;

/// <summary>
/// A change commits only if its before-images account for every row it changed: per table, the captured inserts,
/// updates and deletes must equal what the run measured (DESIGN.md, D3).
/// </summary>
internal static class CaptureVerification
{
    /// <summary>One line per table whose capture does not match; empty when everything was captured.</summary>
    /// <param name="uncapturable">statements whose rows no row trigger sees (TRUNCATE, DROP): left out of the comparison.</param>
    /// <param name="created">tables the change itself creates (nothing of theirs existed before it to keep), and tables it
    /// dropped whose rows the recycle bin keeps as a copy.</param>
    public static IReadOnlyList<string> Mismatches(IReadOnlyList<StatementImpact> run, IReadOnlyList<CapturedTable> captured, IReadOnlySet<int> uncapturable, IReadOnlySet<string> created)
    {
        var measured = new Dictionary<string, (long Inserted, long Updated, long Deleted)>(StringComparer.Ordinal);
        foreach (var table in run.Where(i => !uncapturable.Contains(i.Index)).SelectMany(i => i.Tables))
        {
            var (i, u, d) = measured.GetValueOrDefault(table.QualifiedName);
            measured[table.QualifiedName] = (i + table.Inserted, u + table.Updated, d + table.Deleted);
        }

        var byName = captured.ToDictionary(c => c.QualifiedName, StringComparer.Ordinal);
        var mismatches = new List<string>();
        foreach (var name in measured.Keys.Union(byName.Keys).Order(StringComparer.Ordinal))
        {
            var (mi, mu, md) = measured.GetValueOrDefault(name);
            if (created.Contains(name))
            {
                continue;
            }

            if (!byName.TryGetValue(name, out var c))
            {
                if (mi + mu + md > 0)
                {
                    mismatches.Add($"{name} changed ({mi} inserted, {mu} updated, {md} deleted) but was not captured: the preview did not show it as affected");
                }

                continue;
            }

            // Rows moved between partitions: the statistics count an insert and a delete where capture has one update.
            var moved = c.IsPartitioned ? mi - c.Inserted : 0;
            if (c.Inserted + moved != mi || c.Updated != mu + moved || c.Deleted + moved != md)
            {
                mismatches.Add($"{name}: measured {mi} inserted, {mu} updated, {md} deleted; captured {c.Inserted}, {c.Updated}, {c.Deleted}");
            }
        }

        return mismatches;
    }

    /// <summary>DROP TABLE and DROP SCHEMA remove rows no capture sees (the recycle bin will keep them); TRUNCATE's rows are copied first.</summary>
    public static IReadOnlySet<int> UncapturableStatements(IReadOnlyList<AnalyzedStatement> statements) =>
        statements.Where(s => s.Info.Kind is Sql.Classification.StatementKind.DropTable or Sql.Classification.StatementKind.DropSchema).Select(s => s.Index).ToHashSet();
}
