using Backstop.Core.Preview;

namespace Backstop.Core.Changes;

/// <summary>
/// Compares what a change did when it ran with what its preview showed: per table, the inserted, updated and deleted
/// rows of the whole script may never exceed the preview's (a confirmation or an approval is given for that impact,
/// not for one row more), and may fall short of it by at most 10 % of the preview's count (rows another session
/// changed meanwhile); not at all when the preview's counts were counted by the caller rather than dry-run
/// (<see cref="StatementImpact.Counted"/>).
/// </summary>
public static class ImpactComparison
{
    public const double Tolerance = 0.10;

    /// <summary>One line per count that moved too far; empty when the run matches the preview.</summary>
    /// <remarks>
    /// Only statements the preview measured are compared: an EXPLAIN estimate is no count to hold a run to (the
    /// policy is still applied again to what the run measured).
    /// </remarks>
    public static IReadOnlyList<string> Differences(IReadOnlyList<StatementImpact> preview, IReadOnlyList<StatementImpact> run)
    {
        var measured = preview.Where(p => p.Executed && !p.Estimated).Select(p => p.Index).ToHashSet();
        var before = Totals(preview.Where(p => measured.Contains(p.Index)));
        var after = Totals(run.Where(r => measured.Contains(r.Index)));
        var tolerance = preview.Any(p => p.Counted) ? 0 : Tolerance;
        var differences = new List<string>();
        foreach (var table in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            var (i0, u0, d0) = before.GetValueOrDefault(table);
            var (i1, u1, d1) = after.GetValueOrDefault(table);
            Compare(differences, table, "inserted", i0, i1, tolerance);
            Compare(differences, table, "updated", u0, u1, tolerance);
            Compare(differences, table, "deleted", d0, d1, tolerance);
        }

        return differences;
    }

    private static void Compare(List<string> differences, string table, string what, long previewed, long ran, double tolerance)
    {
        if (ran > previewed || previewed - ran > tolerance * previewed)
        {
            differences.Add($"{table}: {what} {Policies.PolicyEvaluator.Number(previewed)} in the preview, {Policies.PolicyEvaluator.Number(ran)} when run");
        }
    }

    private static Dictionary<string, (long Inserted, long Updated, long Deleted)> Totals(IEnumerable<StatementImpact> impacts)
    {
        var totals = new Dictionary<string, (long, long, long)>(StringComparer.Ordinal);
        foreach (var table in impacts.SelectMany(i => i.Tables))
        {
            var (i, u, d) = totals.GetValueOrDefault(table.QualifiedName);
            totals[table.QualifiedName] = (i + table.Inserted, u + table.Updated, d + table.Deleted);
        }

        return totals;
    }
}
